// Test helper: runs sitegen's search core and lunr.js under Node.
// Reads one JSON request on stdin, writes one JSON answer on stdout.
"use strict";
const path = require("path");
const root = path.resolve(__dirname, "..");
const lunr = require(path.join(root, "node_modules", "lunr"));
const core = require(path.join(root, "templates", "assets", "search.js"));

function loadData(site) {
  global.window = global;
  require(path.join(site, "assets", "search-index.js"));
  require(path.join(site, "assets", "search-store.js"));
  return { index: global.sitegenSearchIndex, store: global.sitegenSearchStore };
}

function fieldTexts(store, doc, fold) {
  const text = fold ? core.prepare : (value) => value;
  return {
    id: String(store.docs.indexOf(doc)),
    title: text(doc[0]),
    topics: text(doc[4].map((n) => store.topics[n][1]).join(" ")),
    tags: text(doc[8].join(" ")),
    abstract: text(doc[6]),
    notes: text(doc[7]),
  };
}

const actions = {
  stem: (request) => request.words.map((word) => lunr.stemmer(new lunr.Token(word)).toString()),
  prepare: (request) => request.texts.map(core.prepare),
  vectors: (request) => {
    const data = loadData(request.site);
    const index = core.decodeIndex(lunr, data.index);
    const out = {};
    for (const [ref, vector] of Object.entries(index.fieldVectors)) {
      const scores = {};
      for (let i = 0; i < vector.elements.length; i += 2) scores[data.index.terms[vector.elements[i]]] = vector.elements[i + 1];
      out[ref] = scores;
    }
    return out;
  },
  // The same lunr queries against sitegen's index and against one lunr.js builds itself
  // (from the documents as they are, or folded the way sitegen folds them: request.fold).
  compare: (request) => {
    const data = loadData(request.site);
    const ours = core.decodeIndex(lunr, data.index);
    const docs = data.store.docs.map((doc) => fieldTexts(data.store, doc, request.fold));
    const theirs = lunr(function () {
      this.ref("id");
      data.index.fields.forEach((field, i) => this.field(field, { boost: data.index.boosts[i] }));
      docs.forEach((doc) => this.add(doc));
    });
    const refs = (index, query) => index.search(query).map((result) => result.ref);
    return request.queries.map((query) => ({ query, ours: refs(ours, query), theirs: refs(theirs, query) }));
  },
  // sitegen's own query handling (expansion, highlighting) as the browser runs it.
  search: (request) => {
    const data = loadData(request.site);
    const index = core.decodeIndex(lunr, data.index);
    return request.queries.map((query) =>
      core.search(lunr, index, query).map((result) => ({
        title: data.store.docs[Number(result.ref)][0],
        marked: core.highlight(lunr, data.store.docs[Number(result.ref)][0], core.matchedTerms(result))
          .filter((segment) => segment[1]).map((segment) => segment[0]),
      })));
  },
};

let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const request = JSON.parse(input);
  process.stdout.write(JSON.stringify(actions[request.action](request)));
});
