/* sitegen search: lunr.js over an index that sitegen builds at build time.
 *
 * Everything arrives through <script src> (never fetch or XHR), so search works from
 * disk (file://) as well as on a web server. lunr.min.js, the document store and the
 * index parts are loaded only when the search box is first used, or on search.html, and
 * decoded in slices that leave the page responsive; abstracts and notes, for snippets,
 * come in text files loaded only for the results shown.
 * Results are built from DOM nodes and text nodes: no untrusted string ever goes
 * through innerHTML.
 *
 * The core (folding, query expansion, index decoding, highlighting, snippets) has no
 * DOM and is also loaded by the tests under Node.
 */
(function (global) {
  "use strict";

  var ACCENTS = /[\u0300-\u036f]/g;
  var CJK_RUN = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+/g;
  var SEPARATORS = /[\s\-]+/;
  var TRIM = /^[^\p{L}\p{N}\p{M}_]+|[^\p{L}\p{N}\p{M}_]+$/gu;
  var WORD = /[\p{L}\p{N}\p{M}_]+(?:[.'\u2019][\p{L}\p{N}\p{M}_]+)*/gu;
  var OPERATORS = /(^|\s)[+\-]\S|[*~^]/;
  var FIELD = /(?:^|[\s+\-])([^\s:+\-]+):/g;
  var BOOST = { exact: 10, prefix: 4, stem: 2, fuzzy: 1 };
  var MIN_PREFIX = 2;
  var MIN_FUZZY = 5;
  var MAX_EXPANDED = 30;  /* a longer "word" (a pasted URL) is looked up exactly: expanding it is slow */

  /* ---------- core: the same folding as sitegen/search.py ---------- */

  function pairs(run) {
    if (run.length === 1) return run;
    var out = [];
    for (var i = 0; i < run.length - 1; i++) out.push(run.slice(i, i + 2));
    return out.join(" ");
  }

  function prepare(text) {
    text = text.normalize("NFKD").replace(ACCENTS, "").normalize("NFC");
    text = text.replace(CJK_RUN, function (run) { return " " + pairs(run) + " "; });
    return text.toLowerCase();
  }

  function trim(word) {
    return word.replace(TRIM, "");
  }

  /** The words of a plain query, folded, lower-cased and trimmed like indexed text. */
  function queryWords(query) {
    var words = [];
    prepare(query).split(SEPARATORS).forEach(function (word) {
      word = trim(word);
      if (word && words.indexOf(word) < 0) words.push(word);
    });
    return words;
  }

  /** lunr syntax: +/- before a word, * ~ ^, or `field:` naming one of the index's fields. */
  function isAdvanced(query, fields) {
    if (OPERATORS.test(query)) return true;
    var match;
    FIELD.lastIndex = 0;
    while ((match = FIELD.exec(query))) {
      if (fields.indexOf(match[1].toLowerCase()) >= 0) return true;
    }
    return false;
  }

  var stems = Object.create(null);  /* highlighting stems every shown word on every keystroke */

  function stem(lunr, word) {
    if (!(word in stems)) stems[word] = lunr.stemmer(new lunr.Token(word)).toString();
    return stems[word];
  }

  /**
   * Decode sitegen's index parts into what plain queries need: the terms (sorted, in a
   * lunr.TokenSet for prefix and typo matching) and, for each term, its hits (slot = paper
   * * fields + field) with their BM25 weights as lunr.js computes them (boost included,
   * rounded as in its field vectors).
   *
   * Part p holds the papers whose text file (doc[7]) is p modulo the number of parts, in
   * the store's order: each field's length, and for each term a posting [slot, tf, slot
   * delta, tf, ...] with slots numbered within the part. A generator: it yields between
   * slices of work so that the page can go on between them (runSliced); it returns the index.
   */
  function* decoding(lunr, store, parts) {
    var fields = store.fields, boosts = store.boosts, nFields = fields.length, count = store.docs.length;
    var lengths = new Float64Array(count * nFields), hits = Object.create(null);  /* term → its number of hits */
    var i, j, t, p, part, docs;
    var inPart = parts.map(function () { return []; });  /* part → the store's numbers of its papers */
    for (i = 0; i < count; i++) inPart[store.docs[i][7] % parts.length].push(i);
    var slotOf = function (slot) { return docs[(slot / nFields) | 0] * nFields + slot % nFields; };
    /* First pass: field lengths, and each term's number of hits (to size its arrays and know its idf). */
    for (p = 0; p < parts.length; p++) {
      part = parts[p];
      docs = inPart[p];
      for (i = 0; i < part.lengths.length; i++) lengths[slotOf(i)] = part.lengths[i];
      for (t = 0; t < part.terms.length; t++) hits[part.terms[t]] = (hits[part.terms[t]] || 0) + part.postings[t].length / 2;
      yield;
    }
    var terms = Object.keys(hits).sort();  /* UTF-16 order, which lunr.TokenSet.Builder requires */
    var totals = fields.map(function () { return 0; });
    for (i = 0; i < lengths.length; i++) totals[i % nFields] += lengths[i];
    var average = totals.map(function (total) { return total / count; });
    var index = {
      fields: fields, count: count, terms: terms, termIndex: Object.create(null),
      slots: new Array(terms.length), weights: new Array(terms.length), tokenSet: null, lunr: null, building: null
    };
    var builder = new lunr.TokenSet.Builder(), filled = new Int32Array(terms.length), idf = new Float64Array(terms.length);
    for (t = 0; t < terms.length; t++) {
      var n = hits[terms[t]];
      index.termIndex[terms[t]] = t;
      index.slots[t] = new Int32Array(n);
      index.weights[t] = new Float64Array(n);
      idf[t] = Math.log(1 + Math.abs((count - n + 0.5) / (n + 0.5)));  /* lunr.idf: a paper counts once a field */
      builder.insert(terms[t]);
      if (t % 2000 === 1999) yield;
    }
    builder.finish();
    index.tokenSet = builder.root;
    yield;
    /* Second pass: each hit's slot and BM25 weight, as lunr.js puts it in its field vectors. */
    var k1 = 1.2, b = 0.75;
    for (p = 0; p < parts.length; p++) {
      part = parts[p];
      docs = inPart[p];
      for (var local = 0; local < part.terms.length; local++) {
        var encoded = part.postings[local], slot = 0;
        t = index.termIndex[part.terms[local]];
        var slots = index.slots[t], weights = index.weights[t], at = filled[t];
        for (j = 0; j < encoded.length; j += 2, at++) {
          slot += encoded[j];
          var global = slotOf(slot), tf = encoded[j + 1], field = global % nFields;
          var score = idf[t] * ((k1 + 1) * tf) / (k1 * (1 - b + b * (lengths[global] / average[field])) + tf);
          slots[at] = global;
          weights[at] = Math.round(score * boosts[field] * 1000) / 1000;
        }
        filled[t] = at;
        if (local % 2000 === 1999) yield;
      }
    }
    return index;
  }

  /** The whole of decoding at once (for Node). */
  function decodeIndex(lunr, store, parts) {
    return finish(decoding(lunr, store, parts));
  }

  function finish(steps) {
    var step;
    while (!(step = steps.next()).done);
    return step.value;
  }

  /**
   * The same index as a lunr.Index, for lunr's own query syntax: built the first time
   * such a query comes (a million objects at 10,000 papers: plain queries never need it),
   * in slices on the page, at once by lunrIndex.
   */
  function* lunrBuilding(lunr, index) {
    var fields = index.fields, nFields = fields.length, none = {};  /* lunr copies metadata, never changes it */
    var invertedIndex = Object.create(null), vectors = [], t, j, d, f;
    for (j = 0; j < index.count * nFields; j++) vectors.push([]);
    for (t = 0; t < index.terms.length; t++) {
      var posting = { _index: t }, slots = index.slots[t], weights = index.weights[t];
      for (f = 0; f < nFields; f++) posting[fields[f]] = {};
      for (j = 0; j < slots.length; j++) {
        posting[fields[slots[j] % nFields]][(slots[j] / nFields) | 0] = none;
        vectors[slots[j]].push(t, weights[j]);
      }
      invertedIndex[index.terms[t]] = posting;
      if (t % 500 === 499) yield;
    }
    var fieldVectors = {};
    for (d = 0; d < index.count; d++) {
      for (f = 0; f < nFields; f++) fieldVectors[fields[f] + "/" + d] = new lunr.Vector(vectors[d * nFields + f]);
      if (d % 2000 === 1999) yield;
    }
    index.lunr = new lunr.Index({
      invertedIndex: invertedIndex,
      fieldVectors: fieldVectors,
      tokenSet: index.tokenSet,
      fields: fields,
      pipeline: lunr.Pipeline.load(["stemmer"])
    });
  }

  function lunrIndex(lunr, index) {
    if (!index.lunr) finish(index.building || (index.building = lunrBuilding(lunr, index)));
    return index.lunr;
  }

  function termsMatching(lunr, index, tokenSet) {
    return index.tokenSet.intersect(tokenSet).toArray();
  }

  /** Each word's index terms: exact (stemmed) and prefix; else the stem inside a longer prefix; else one edit. */
  function expandWord(lunr, index, word) {
    var found = [], seen = Object.create(null);
    function add(terms, boost) {
      terms.forEach(function (term) {
        if (!seen[term]) { seen[term] = true; found.push({ term: term, boost: boost }); }
      });
    }
    var stemmed = stem(lunr, word);
    if (stemmed in index.termIndex) add([stemmed], BOOST.exact);
    if (word.length > MAX_EXPANDED) return found;
    if (word.length >= MIN_PREFIX) add(termsMatching(lunr, index, lunr.TokenSet.fromString(word + "*")), BOOST.prefix);
    if (!found.length) {
      /* "diffusi" is longer than the stem "diffus" it was typed towards. */
      for (var end = word.length - 1; end >= Math.max(4, word.length - 3); end--) {
        if (word.slice(0, end) in index.termIndex) { add([word.slice(0, end)], BOOST.stem); break; }
      }
    }
    /* One typo away, for a word that matched nothing as typed (the slowest expansion, and the noisiest). */
    if (!found.length && word.length >= MIN_FUZZY) {
      add(termsMatching(lunr, index, lunr.TokenSet.fromFuzzyString(stemmed, 1)), BOOST.fuzzy);
    }
    return found;
  }

  /**
   * Run a query; results are {ref: paper number, score, terms: the index terms it matched}.
   * Plain words: each is expanded (see expandWord), and the papers that have the most of
   * the words are kept (all of them, when some paper has them all), scored as lunr.js
   * scores the same terms with the same boosts. Advanced lunr syntax goes to lunr's own
   * parser, which throws lunr.QueryParseError when it cannot parse the query.
   */
  function search(lunr, index, query) {
    if (isAdvanced(query, index.fields)) {
      return lunrIndex(lunr, index).search(prepare(query)).map(function (result) {
        return { ref: Number(result.ref), score: result.score, terms: Object.keys(result.matchData.metadata) };
      });
    }
    var expansions = expand(lunr, index, query);
    return expansions.length ? scored(index, expansions) : [];
  }

  /** A plain query's words, each as the index terms it stands for (with boosts); stop words go when others are left. */
  function expand(lunr, index, query) {
    var words = queryWords(query);
    var meaningful = words.filter(function (word) { return lunr.stopWordFilter(new lunr.Token(word)); });
    if (meaningful.length) words = meaningful;  /* "the transformer" is "transformer" */
    /* A word found nowhere ("qzxv") neither matches nor has to. */
    return words.map(function (word) { return expandWord(lunr, index, word); })
      .filter(function (terms) { return terms.length; });
  }

  /**
   * lunr.js's score for optional term clauses: the query vector (each term's summed boost)
   * dotted with the paper's field vectors, over the query vector's length. Its field
   * vectors hold the weights that decoding computed, so this adds them up directly.
   */
  function scored(index, expansions) {
    var nFields = index.fields.length, count = index.count;
    var score = new Float64Array(count), covered = new Int32Array(count), lastWord = new Int32Array(count).fill(-1);
    var terms = [], found = [], boosts = new Map();
    expansions.forEach(function (items, word) {
      items.forEach(function (item) {
        var t = index.termIndex[item.term], slots = index.slots[t], weights = index.weights[t];
        boosts.set(item.term, (boosts.get(item.term) || 0) + item.boost);
        for (var j = 0; j < slots.length; j++) {
          var doc = (slots[j] / nFields) | 0, matched = terms[doc];
          if (!matched) { matched = terms[doc] = []; found.push(doc); }
          score[doc] += item.boost * weights[j];
          if (lastWord[doc] !== word) { lastWord[doc] = word; covered[doc]++; }
          if (matched.indexOf(item.term) < 0) matched.push(item.term);
        }
      });
    });
    var length = 0;
    boosts.forEach(function (boost) { length += boost * boost; });
    length = Math.sqrt(length);
    /* Keep the papers that have the most of the words: all of them when some paper does. */
    var best = 0;
    found.forEach(function (doc) { best = Math.max(best, covered[doc]); });
    return found.filter(function (doc) { return covered[doc] === best; })
      .map(function (doc) { return { ref: doc, score: score[doc] / length, terms: terms[doc] }; })
      .sort(function (x, y) { return y.score - x.score || x.ref - y.ref; });
  }

  /** Split text into [text, isMatch] segments: words whose index term is in `terms`. */
  function highlight(lunr, text, terms) {
    var wanted = Object.create(null);
    terms.forEach(function (term) { wanted[term] = true; });
    var segments = [], last = 0, match;
    WORD.lastIndex = 0;
    while ((match = WORD.exec(text))) {
      var ranges = matchRanges(lunr, match[0], wanted);
      ranges.forEach(function (range) {
        var start = match.index + range[0], end = match.index + range[1];
        if (start > last) segments.push([text.slice(last, start), false]);
        segments.push([text.slice(start, end), true]);
        last = end;
      });
    }
    if (last < text.length) segments.push([text.slice(last), false]);
    return segments;
  }

  /** The parts of one word that matched: the whole word, or CJK characters of matched pairs. */
  function matchRanges(lunr, word, wanted) {
    CJK_RUN.lastIndex = 0;
    if (!CJK_RUN.test(word)) {
      var folded = trim(prepare(word));
      return (wanted[folded] || wanted[stem(lunr, folded)]) ? [[0, word.length]] : [];
    }
    var ranges = [];
    for (var i = 0; i < word.length; i++) {
      var pair = word.slice(i, i + 2).toLowerCase();
      if (wanted[pair] || wanted[word[i].toLowerCase()]) ranges.push([i, Math.min(i + pair.length, word.length)]);
    }
    return mergeRanges(ranges);
  }

  function mergeRanges(ranges) {
    var merged = [];
    ranges.forEach(function (range) {
      var previous = merged[merged.length - 1];
      if (previous && range[0] <= previous[1]) previous[1] = Math.max(previous[1], range[1]);
      else merged.push(range.slice());
    });
    return merged;
  }

  /** About `size` words around the densest run of matches, from a text's highlight segments. */
  function snippet(segments, size) {
    size = size || 30;
    var words = [], position = 0;
    segments.forEach(function (segment) {
      var parts = segment[0].split(/(\s+)/);
      parts.forEach(function (part) {
        if (part && !/^\s+$/.test(part)) words.push({ start: position, end: position + part.length, hit: segment[1] });
        position += part.length;
      });
    });
    if (words.length <= size) return segments;
    var best = 0, bestHits = -1, hits = 0, i;
    for (i = 0; i < words.length; i++) {
      if (words[i].hit) hits++;
      if (i >= size && words[i - size].hit) hits--;
      if (i >= size - 1 && hits > bestHits) { bestHits = hits; best = i - size + 1; }
    }
    if (bestHits <= 0) best = 0;
    var from = words[best].start, to = words[Math.min(best + size, words.length) - 1].end;
    var cut = [];
    if (from > 0) cut.push(["… ", false]);
    position = 0;
    segments.forEach(function (segment) {
      var start = position, end = position + segment[0].length;
      position = end;
      var a = Math.max(start, from), z = Math.min(end, to);
      if (a < z) cut.push([segment[0].slice(a - start, z - start), segment[1]]);
    });
    if (to < position) cut.push([" …", false]);
    return cut;
  }

  var core = {
    prepare: prepare,
    queryWords: queryWords,
    isAdvanced: isAdvanced,
    decoding: decoding,
    decodeIndex: decodeIndex,
    lunrBuilding: lunrBuilding,
    lunrIndex: lunrIndex,
    expand: expand,
    search: search,
    highlight: highlight,
    snippet: snippet
  };

  if (typeof module === "object" && module.exports) {
    module.exports = core;
    return;
  }
  global.sitegenSearch = core;
  if (typeof document === "undefined") return;

  /* ---------- the page: loading, the header box, the search page ---------- */

  var form = document.querySelector("form.site-search");
  if (!form) return;
  var root = form.getAttribute("data-root") || "";
  var input = form.querySelector("input[name=q]");
  var popup = document.getElementById("search-suggestions");
  var popupStatus = document.getElementById("search-suggestions-status");
  var page = document.getElementById("search-page");
  var state = {
    index: null, store: null, loading: null, active: -1, timer: 0, failed: "", shown: null
  };
  var DROPDOWN_RESULTS = 8;
  var FIRST_SCREEN = 10;  /* results on search.html whose snippets load without waiting to be in view */
  var PAGE_BATCH = 100;  /* results on search.html added at a time, as the end of the list comes into view */

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = root + src;
      script.async = false;
      script.onload = resolve;
      script.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(script);
    });
  }

  /* Run a generator's steps in tasks of about `budget` ms, so the page never freezes long (MessageChannel:
     setTimeout would add a delay of several ms between tasks). Resolves with what it returns. */
  function runSliced(steps, budget) {
    var channel = new MessageChannel();
    return new Promise(function (resolve, reject) {
      channel.port1.onmessage = function () {
        var until = global.performance.now() + budget, step;
        try {
          while (!(step = steps.next()).done) {
            if (global.performance.now() > until) { channel.port2.postMessage(null); return; }
          }
        } catch (error) {
          reject(error);
          return;
        }
        channel.port1.close();
        resolve(step.value);
      };
      channel.port2.postMessage(null);
    });
  }

  /** lunr.js, the store, then the index parts the store names; decoded in slices. */
  function ensureLoaded() {
    if (!state.loading) {
      state.loading = Promise.all([loadScript("assets/lunr.min.js"), loadScript("assets/search-store.js")])
        .then(function () {
          var store = global.sitegenSearchStore, parts = [];
          for (var n = 0; n < store.indexFiles; n++) parts.push(loadScript("assets/search-index-" + n + ".js"));
          return Promise.all(parts).then(function () {
            return runSliced(decoding(global.lunr, store, global.sitegenSearchIndex), 30);
          }).then(function (index) {
            state.store = store;
            state.index = index;
          });
        }).catch(function (error) {
          state.failed = "Search is unavailable: " + error.message + ".";
        });
    }
    return state.loading;
  }

  /* ----- snippets: abstracts and notes come in files of their own, loaded for the results shown ----- */

  var textFiles = [];  /* file number → the promise of its loading */

  function loadText(number) {
    if (!textFiles[number]) textFiles[number] = loadScript("assets/search-text-" + number + ".js");
    return textFiles[number];
  }

  /** Fill a result's excerpt if its text is here; false if its file has not loaded yet. */
  function fillExcerpt(entry) {
    var file = (global.sitegenSearchText || [])[entry.doc[7]], text = file && file[entry.doc[1]];
    if (!text) return false;
    var segments = highlight(global.lunr, text[0], entry.terms);
    var matched = function (segment) { return segment[1]; };
    if (text[1] && !segments.some(matched)) segments = highlight(global.lunr, text[1], entry.terms);  /* notes */
    entry.excerpt.replaceChildren();
    appendSegments(entry.excerpt, snippet(segments, entry.size));
    return true;
  }

  /**
   * aria-busy on a list while something holds it (results still to come, snippets still
   * loading): hold() returns the function that lets go. stop() leaves the list to the
   * next rendering.
   */
  function busy(list) {
    var holds = 0, stopped = false;
    return {
      hold: function () {
        if (!holds++) list.setAttribute("aria-busy", "true");
        var held = true;
        return function () {
          if (held && !--holds && !stopped) list.removeAttribute("aria-busy");
          held = false;
        };
      },
      stop: function () { stopped = true; }
    };
  }

  /** Fill a result's excerpt now if its text is here, else once its file has loaded (the list busy till then). */
  function showExcerpt(listBusy, entry) {
    if (fillExcerpt(entry)) return;
    var release = listBusy.hold();
    loadText(entry.doc[7]).then(function () { fillExcerpt(entry); }, function () {}).then(release);
  }

  function node(tag, className, text) {
    var element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function appendSegments(parent, segments) {
    segments.forEach(function (segment) {
      parent.appendChild(segment[1] ? node("mark", "", segment[0]) : document.createTextNode(segment[0]));
    });
  }

  function formatDate(iso) {
    if (!iso) return "Undated";
    var parts = iso.split("-").map(Number);
    var months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    return months[parts[1] - 1] + " " + parts[2] + ", " + parts[0];
  }

  function filtering(filters) {
    return filters && (filters.topic || filters.year || filters.code || filters.status || filters.tag);
  }

  /** Results as {items: [{number, terms}]} after search, filters and sort; or {error}; or {loading}. */
  function find(query, filters) {
    var docs = state.store.docs, found;
    if (isAdvanced(query, state.index.fields) && !state.index.lunr) {
      /* lunr's own index, for its query syntax: built (in slices) the first time it is needed */
      if (!state.index.building) {
        runSliced(state.index.building = lunrBuilding(global.lunr, state.index), 30).then(function () {
          schedule(render);
        });
      }
      return { loading: true };
    }
    if (query.trim()) {
      try {
        found = search(global.lunr, state.index, query).map(function (result) {
          return { number: result.ref, terms: result.terms };
        });
      } catch (error) {
        if (error instanceof global.lunr.QueryParseError) return { error: "Cannot read that query: " + error.message };
        throw error;
      }
    } else if (filtering(filters)) {
      found = docs.map(function (_, number) { return { number: number, terms: [] }; });
    } else {
      found = [];
    }
    var topicNumber = -1;
    if (filters && filters.topic) {
      topicNumber = state.store.topics.map(function (topic) { return topic[0]; }).indexOf(filters.topic);
    }
    found = found.filter(function (item) {
      var doc = docs[item.number];
      if (!filters) return true;
      if (filters.topic && doc[4].indexOf(topicNumber) < 0) return false;
      if (filters.year && doc[2].slice(0, 4) !== filters.year) return false;
      if (filters.code && !doc[5]) return false;
      if (filters.status && doc[8] !== filters.status) return false;
      if (filters.tag && !doc[6].some(function (tag) { return state.store.tagSlugs[tag] === filters.tag; })) return false;
      return true;
    });
    if (filters && filters.sort === "date") {
      found.sort(function (a, b) { return docs[b.number][2].localeCompare(docs[a.number][2]) || a.number - b.number; });
    } else if (filters && filters.sort === "upvotes") {
      found.sort(function (a, b) { return (docs[b.number][3] || 0) - (docs[a.number][3] || 0) || a.number - b.number; });
    }
    return { items: found };
  }

  /** A result's element, and its excerpt (of about snippetSize words) for showExcerpt to fill. */
  function resultItem(item, snippetSize) {
    var doc = state.store.docs[item.number];
    var li = node("li", "paper-item result");
    var heading = node("h3");
    var link = node("a");
    link.href = root + doc[1];
    appendSegments(link, highlight(global.lunr, doc[0], item.terms));
    heading.appendChild(link);
    li.appendChild(heading);
    var meta = node("p", "meta");
    meta.appendChild(node("span", "", formatDate(doc[2])));
    if (doc[3] !== null) meta.appendChild(node("span", "upvotes", "\u25b2 " + doc[3]));
    if (doc[5]) meta.appendChild(node("span", "chip code", "code"));
    doc[4].forEach(function (number) {
      var topic = state.store.topics[number];
      var chip = node("a", "chip", topic[1]);
      chip.href = root + "topics/" + topic[0] + ".html";
      chip.tabIndex = -1;
      meta.appendChild(chip);
    });
    doc[6].forEach(function (tag) {
      var link = node("a", "tag", "#" + tag);
      link.href = root + "tags/" + state.store.tagSlugs[tag] + ".html";
      link.tabIndex = -1;
      meta.appendChild(link);
    });
    li.appendChild(meta);
    var excerpt = node("p", "excerpt");
    li.appendChild(excerpt);
    return { element: li, link: link, excerpt: { excerpt: excerpt, doc: doc, terms: item.terms, size: snippetSize } };
  }

  function countText(n, query) {
    var label = n === 1 ? "1 result" : n + " results";
    return query ? label + " for \u201c" + query + "\u201d" : label;
  }

  /* ----- header box: a combobox with a list of the first results ----- */

  function setActive(index) {
    var options = popup.querySelectorAll("[role=option]");
    state.active = Math.max(-1, Math.min(index, options.length - 1));
    options.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === state.active ? "true" : "false");
    });
    if (state.active >= 0) {
      input.setAttribute("aria-activedescendant", options[state.active].id);
      options[state.active].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function closePopup() {
    popup.hidden = true;
    input.setAttribute("aria-expanded", "false");
    setActive(-1);
  }

  function renderPopup() {
    var query = input.value;
    popup.replaceChildren();
    state.active = -1;
    input.removeAttribute("aria-activedescendant");
    if (!query.trim()) { closePopup(); popupStatus.textContent = ""; return; }
    var list = node("ul", "suggestion-list");
    var message, excerpts, outcome = state.index && !state.failed ? find(query, null) : null;
    if (state.failed) {
      message = state.failed;
    } else if (!outcome || outcome.loading) {
      message = "Loading search\u2026";
    } else if (outcome.error) {
      message = outcome.error;
    } else {
      excerpts = outcome.items.slice(0, DROPDOWN_RESULTS).map(function (item, i) {
        var result = resultItem(item, 14);
        result.element.id = "search-option-" + i;
        result.element.setAttribute("role", "option");
        result.element.setAttribute("aria-selected", "false");
        result.link.tabIndex = -1;
        list.appendChild(result.element);
        return result.excerpt;
      });
      message = outcome.items.length ? countText(outcome.items.length, "") : "No papers match \u201c" + query + "\u201d.";
      if (outcome.items.length) {
        var all = node("li", "see-all");
        all.id = "search-option-" + Math.min(outcome.items.length, DROPDOWN_RESULTS);
        all.setAttribute("role", "option");
        all.setAttribute("aria-selected", "false");
        var link = node("a", "", "See all " + countText(outcome.items.length, "") + " on the search page");
        link.href = root + "search.html?q=" + encodeURIComponent(query);
        link.tabIndex = -1;
        all.appendChild(link);
        list.appendChild(all);
      }
    }
    popup.appendChild(node("p", "suggestion-message", message));
    popup.appendChild(list);
    if (excerpts) excerpts.forEach(showExcerpt.bind(null, busy(list)));
    popupStatus.textContent = message;
    popup.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function openActive() {
    var option = popup.querySelectorAll("[role=option]")[state.active];
    var link = option && option.querySelector("a");
    if (link) global.location.href = link.href;
  }

  /* ----- search.html: full results, filters, sort, and a shareable URL ----- */

  var controls = page ? page.querySelector("#search-filters") : null;
  var resultsList = page ? page.querySelector("#search-results") : null;
  var pageStatus = page ? page.querySelector("#search-status") : null;

  function currentFilters() {
    return {
      topic: controls.elements.topic.value,
      year: controls.elements.year.value,
      code: controls.elements.code.checked,
      status: controls.elements.status.value,
      tag: controls.elements.tag ? controls.elements.tag.value : "",
      sort: controls.elements.sort.value
    };
  }

  function updateUrl(query, filters) {
    var params = new URLSearchParams();
    if (query) params.set("q", query);
    if (filters.topic) params.set("topic", filters.topic);
    if (filters.year) params.set("year", filters.year);
    if (filters.code) params.set("code", "1");
    if (filters.status) params.set("status", filters.status);
    if (filters.tag) params.set("tag", filters.tag);
    if (filters.sort !== "relevance") params.set("sort", filters.sort);
    var search = params.toString();
    try {
      global.history.replaceState(null, "", search ? "?" + search : global.location.pathname);
    } catch (error) {
      /* Some browsers refuse to change a file:// URL; the results still show. */
    }
  }

  function renderPage() {
    var query = input.value, filters = currentFilters();
    updateUrl(query, filters);
    if (state.shown) state.shown.stop();
    state.shown = null;
    resultsList.replaceChildren();
    resultsList.removeAttribute("aria-busy");
    if (state.failed) { pageStatus.textContent = state.failed; return; }
    var outcome = state.index ? find(query, filters) : { loading: true };
    if (outcome.loading) { pageStatus.textContent = "Loading search\u2026"; return; }
    if (outcome.error) { pageStatus.textContent = outcome.error; return; }
    if (!query.trim() && !outcome.items.length) {
      pageStatus.textContent = "Type in the search box to search " + state.store.docs.length + " papers.";
      return;
    }
    pageStatus.textContent = outcome.items.length ? countText(outcome.items.length, query) :
      "No papers match \u201c" + query + "\u201d" + (filtering(filters) ? " with these filters." : ".");
    state.shown = showResults(outcome.items);
  }

  /**
   * search.html's results, a batch at a time: the next when the end of the list comes
   * into view (thousands at once would freeze the page). Snippets load for the first
   * screenful at once, for the others as they come into view. Returns {stop}.
   */
  function showResults(items) {
    var listBusy = busy(resultsList), waiting = new Map(), shown = 0;
    var unseen = listBusy.hold();  /* until the observer first says what is in view */
    var observer = new IntersectionObserver(function (records) {
      records.forEach(function (record) {
        if (!record.isIntersecting) return;
        observer.unobserve(record.target);
        if (waiting.has(record.target)) showExcerpt(listBusy, waiting.get(record.target));
        else appendBatch();  /* the last result so far */
        waiting.delete(record.target);
      });
      unseen();
    }, { rootMargin: "50% 0px" });
    function appendBatch() {
      items.slice(shown, shown + PAGE_BATCH).forEach(function (item, i) {
        var result = resultItem(item, 40), entry = result.excerpt;
        resultsList.appendChild(result.element);
        if (shown + i < FIRST_SCREEN) {
          showExcerpt(listBusy, entry);
        } else if (!fillExcerpt(entry)) {
          waiting.set(entry.excerpt, entry);
          observer.observe(entry.excerpt);
        }
      });
      shown = Math.min(items.length, shown + PAGE_BATCH);
      if (shown < items.length) observer.observe(resultsList.lastElementChild);
    }
    appendBatch();
    if (!waiting.size && shown === items.length) unseen();  /* nothing to observe: no callback will come */
    return {
      stop: function () {
        observer.disconnect();
        listBusy.stop();
      }
    };
  }

  function resultLinks() {
    return Array.prototype.slice.call(resultsList.querySelectorAll("h3 a"));
  }

  function moveInResults(event) {
    var links = resultLinks(), at = links.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && at < links.length - 1) { links[at + 1].focus(); event.preventDefault(); }
    if (event.key === "ArrowUp") { (at > 0 ? links[at - 1] : input).focus(); event.preventDefault(); }
  }

  function schedule(render) {
    global.clearTimeout(state.timer);
    state.timer = global.setTimeout(function () {
      ensureLoaded().then(render);
    }, 15);
  }

  /* ----- wiring ----- */

  var render = page ? renderPage : renderPopup;
  input.addEventListener("focus", function () { ensureLoaded(); });
  input.addEventListener("input", function () { schedule(render); });
  input.addEventListener("keydown", function (event) {
    if (page) {
      if (event.key === "ArrowDown") { var links = resultLinks(); if (links.length) { links[0].focus(); event.preventDefault(); } }
      if (event.key === "Enter") { event.preventDefault(); schedule(render); }
      return;
    }
    var count = popup.querySelectorAll("[role=option]").length;
    if (event.key === "ArrowDown") {
      if (popup.hidden) { schedule(render); } else { setActive(state.active + 1 < count ? state.active + 1 : 0); }
      event.preventDefault();
    } else if (event.key === "ArrowUp") {
      setActive(state.active > 0 ? state.active - 1 : count - 1);
      event.preventDefault();
    } else if (event.key === "Enter" && state.active >= 0) {
      event.preventDefault();
      openActive();
    } else if (event.key === "Escape" && !popup.hidden) {
      event.preventDefault();  /* the first Escape only closes the list; the next clears the box */
      closePopup();
    }
  });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "/") {
      event.preventDefault();
      input.focus();
      input.select();
    } else if (paperNav) {
      paperKey(event);
    }
  });

  /* ----- paper pages: j/k (and ←/→) to the next and previous paper of the list the reader came from ----- */

  var paperNav = document.querySelector(".paper-nav[data-neighbours]");
  var shortcuts = document.getElementById("shortcuts");

  function paperKey(event) {
    if (event.key === "?") {
      event.preventDefault();
      if (shortcuts.open) shortcuts.close(); else shortcuts.showModal();
      return;
    }
    var step = { j: 1, ArrowRight: 1, k: 0, ArrowLeft: 0 }[event.key];
    if (step === undefined || shortcuts.open) return;
    var listing = new URLSearchParams(global.location.search).get("in") || "";
    var neighbours = JSON.parse(paperNav.getAttribute("data-neighbours"));
    var target = (neighbours[listing] || neighbours[""])[step];
    if (!target) return;
    event.preventDefault();
    global.location.href = target + (neighbours[listing] && listing ? "?in=" + encodeURIComponent(listing) : "");
  }

  if (paperNav) {
    paperNav.querySelector(".shortcuts-button").addEventListener("click", function () { shortcuts.showModal(); });
  }

  if (page) {
    var params = new URLSearchParams(global.location.search);
    input.value = params.get("q") || "";
    controls.elements.topic.value = params.get("topic") || "";
    controls.elements.year.value = params.get("year") || "";
    controls.elements.code.checked = params.get("code") === "1";
    controls.elements.status.value = params.get("status") || "";
    if (controls.elements.tag) controls.elements.tag.value = params.get("tag") || "";
    controls.elements.sort.value = params.get("sort") || "relevance";
    controls.addEventListener("change", function () { schedule(renderPage); });
    controls.addEventListener("submit", function (event) { event.preventDefault(); });
    resultsList.addEventListener("keydown", moveInResults);
    pageStatus.textContent = "Loading search\u2026";
    ensureLoaded().then(renderPage);
  } else {
    popup.addEventListener("mousedown", function (event) { event.preventDefault(); });
    popup.addEventListener("mousemove", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) setActive(Array.prototype.indexOf.call(popup.querySelectorAll("[role=option]"), option));
    });
    popup.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      var link = option && option.querySelector("a");
      if (link && !event.target.closest("a")) global.location.href = link.href;
    });
    input.addEventListener("blur", function () { global.setTimeout(closePopup, 100); });
  }
  global.addEventListener("pageshow", function (event) {
    if (event.persisted && page) ensureLoaded().then(renderPage);
  });

  /* ----- paper pages: the Cite button copies the BibTeX entry, or selects it where it cannot ----- */

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("aria-describedby"));
    function select() {
      var range = document.createRange();
      range.selectNodeContents(source);
      global.getSelection().removeAllRanges();
      global.getSelection().addRange(range);
      status.textContent = "Selected: press Ctrl+C (\u2318C on a Mac) to copy it.";
    }
    if (global.navigator.clipboard && global.isSecureContext) {
      global.navigator.clipboard.writeText(source.textContent).then(function () {
        status.textContent = "Copied to the clipboard.";
      }, select);
    } else {
      select();
    }
  });
})(typeof window !== "undefined" ? window : globalThis);
