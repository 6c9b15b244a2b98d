// Test helper: runs sitegen's search core and lunr.js under Node.
// Reads one JSON request on stdin, writes one JSON answer on stdout.
"use strict";
const path = require("path");
const root = path.resolve(__dirname, "..");
const lunr = require(path.join(root, "node_modules", "lunr"));
const core = require(path.join(root, "templates", "assets", "search.js"));

// Every search file of a built site, as the browser would load them: the store, the index parts, the texts.
function loadData(site) {
  global.window = global;
  const assets = path.join(site, "assets");
  require(path.join(assets, "search-store.js"));
  const store = global.sitegenSearchStore;
  for (let n = 0; n < store.indexFiles; n++) require(path.join(assets, `search-index-${n}.js`));
  const textFiles = new Set(store.docs.map((doc) => doc[7]));
  textFiles.forEach((n) => require(path.join(assets, `search-text-${n}.js`)));
  const index = core.decodeIndex(lunr, store, global.sitegenSearchIndex);
  const text = (doc) => global.sitegenSearchText[doc[7]][doc[1]];
  return { index, store, text };
}

function fieldTexts(data, doc, fold) {
  const prepare = fold ? core.prepare : (value) => value;
  const [abstract, notes] = data.text(doc);
  return {
    id: String(data.store.docs.indexOf(doc)),
    title: prepare(doc[0]),
    topics: prepare(doc[4].map((n) => data.store.topics[n][1]).join(" ")),
    tags: prepare(doc[6].join(" ")),
    abstract: prepare(abstract),
    notes: prepare(notes),
  };
}

const actions = {
  stem: (request) => request.words.map((word) => lunr.stemmer(new lunr.Token(word)).toString()),
  prepare: (request) => request.texts.map(core.prepare),
  vectors: (request) => {
    const index = core.lunrIndex(lunr, loadData(request.site).index);
    const terms = [];
    for (const [term, posting] of Object.entries(index.invertedIndex)) terms[posting._index] = term;
    const out = {};
    for (const [ref, vector] of Object.entries(index.fieldVectors)) {
      const scores = {};
      for (let i = 0; i < vector.elements.length; i += 2) scores[terms[vector.elements[i]]] = vector.elements[i + 1];
      out[ref] = scores;
    }
    return out;
  },
  // The same lunr queries against sitegen's index and against one lunr.js builds itself
  // (from the documents as they are, or folded the way sitegen folds them: request.fold).
  compare: (request) => {
    const data = loadData(request.site);
    const ours = core.lunrIndex(lunr, data.index);
    const docs = data.store.docs.map((doc) => fieldTexts(data, doc, request.fold));
    const theirs = lunr(function () {
      this.ref("id");
      data.store.fields.forEach((field, i) => this.field(field, { boost: data.store.boosts[i] }));
      docs.forEach((doc) => this.add(doc));
    });
    const refs = (index, query) => index.search(query).map((result) => result.ref);
    return request.queries.map((query) => ({ query, ours: refs(ours, query), theirs: refs(theirs, query) }));
  },
  // sitegen's own query handling (expansion, highlighting) as the browser runs it.
  search: (request) => {
    const data = loadData(request.site);
    return request.queries.map((query) =>
      core.search(lunr, data.index, query).map((result) => ({
        title: data.store.docs[result.ref][0],
        marked: core.highlight(lunr, data.store.docs[result.ref][0], result.terms)
          .filter((segment) => segment[1]).map((segment) => segment[0]),
      })));
  },
  // Plain queries scored by sitegen and by lunr.js's own Index.query over the same expanded terms.
  scores: (request) => {
    const data = loadData(request.site);
    const index = core.lunrIndex(lunr, data.index);
    return request.queries.map((query) => {
      const expansions = core.expand(lunr, data.index, query);
      const theirs = index.query((q) => expansions.flat().forEach((item) =>
        q.term(item.term, { usePipeline: false, boost: item.boost })));
      return {
        query,
        ours: core.search(lunr, data.index, query).map((result) => [String(result.ref), result.score]),
        theirs: Object.fromEntries(theirs.map((result) => [result.ref, result.score])),
      };
    });
  },
};

let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const request = JSON.parse(input);
  process.stdout.write(JSON.stringify(actions[request.action](request)));
});
