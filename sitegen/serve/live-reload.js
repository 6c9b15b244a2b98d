// sitegen serve: live reload. Served by `sitegen serve` only; never part of a built site.
(() => {
  "use strict";
  const loaded = document.currentScript.dataset.build;
  const tabs = new BroadcastChannel("sitegen-live-reload");
  let events = null;  // the stream, in the one tab that listens
  let latest = null;  // what it said last
  let overlay = null;
  let reloading = false;  // then the page is going: a second reload would cut the first short

  function showError(text) {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "sitegen-build-error";
      overlay.setAttribute("role", "alert");
      Object.assign(overlay.style, {
        position: "fixed", top: "1rem", left: "1rem", right: "1rem", maxHeight: "80vh", overflow: "auto",
        zIndex: "2147483647", padding: "1rem 1.25rem", background: "#fff5f5", color: "#5c0000",
        border: "2px solid #c00", borderRadius: "6px", boxShadow: "0 4px 24px rgba(0, 0, 0, 0.3)",
        font: "14px/1.5 system-ui, sans-serif", textAlign: "left",
      });
      const title = document.createElement("strong");
      title.textContent = "The build failed; this page is from the last good build.";
      const message = document.createElement("pre");
      Object.assign(message.style, { margin: "0.5rem 0 0", whiteSpace: "pre-wrap", font: "13px/1.5 monospace" });
      overlay.append(title, message);
      document.body.append(overlay);
    }
    overlay.lastChild.textContent = text;
  }

  function show(state) {
    if (reloading) {
      return;
    } else if (state.error !== null) {
      showError(state.error);
    } else if (state.build !== loaded) {
      reloading = true;
      if (events) events.close();
      location.reload();
    } else if (overlay) {
      overlay.remove();
      overlay = null;
    }
  }

  tabs.onmessage = ({ data }) => {
    if (data === "ask") {
      if (latest) tabs.postMessage(latest);  // a tab just opened: the listening one answers
    } else {
      show(data);
    }
  };
  // The tab that gets the lock listens until it goes (the lock goes with it); then the next waiting tab does.
  navigator.locks.request("sitegen-live-reload", () => reloading ? null : new Promise(() => {
    events = new EventSource("/_sitegen/events");  // it sends the state at once, then every change
    events.onmessage = (message) => {
      latest = JSON.parse(message.data);
      tabs.postMessage(latest);
      show(latest);
    };
  }));
  tabs.postMessage("ask");
})();
