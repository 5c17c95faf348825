// ballast's HTML report: draws the data in #ballast-data (docs/html-data.md).
// Plain JS, no libraries, nothing fetched. The treemap is SVG; every tile is a
// <rect> with data-path and data-bytes (and data-depth: 1 for the zoomed
// directory's own children).
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('ballast-data').textContent);
  performance.mark('ballast-parsed');
  var T = D.tree;
  var N = T.name.length;
  var DIFF = D.mode === 'diff';
  var DIR = 0, FILE = 1, OTHER = 2, SMALL = 3;
  var CHANGES = ['unchanged', 'added', 'grown', 'shrunk', 'removed', 'rewritten'];
  var SVGNS = 'http://www.w3.org/2000/svg';
  // Tiles drawn at most per view; the zoomed directory's children first.
  var MAX_TILES = 6000;
  // Children of the zoomed directory drawn one by one; the rest are one tile.
  var MAX_DIRECT = 1500;

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  function human(b) {
    if (b == null) return '-';
    if (b < 1000) return b + ' B';
    var u = ['kB', 'MB', 'GB', 'TB', 'PB'], v = b / 1000, i = 0;
    while (v >= 1000 && i < u.length - 1) { v /= 1000; i++; }
    return v.toFixed(1) + ' ' + u[i];
  }
  function pct(x) { return x == null ? 'n/a' : (x * 100).toFixed(2) + ' %'; }
  function exact(b) { return String(b).replace(/\B(?=(\d{3})+(?!\d))/g, ','); }

  // ---------------------------------------------------------------- tree
  var kids = new Array(N);
  for (var i = 1; i < N; i++) {
    var p = T.parent[i];
    (kids[p] || (kids[p] = [])).push(i);
  }
  var paths = new Array(N);
  function path(i) {
    if (paths[i] !== undefined) return paths[i];
    var parts = [], j = i;
    while (j !== 0 && paths[j] === undefined) { parts.push(j); j = T.parent[j]; }
    var base = j === 0 ? '' : paths[j];
    for (var k = parts.length - 1; k >= 0; k--) {
      var n = parts[k];
      base = T.kind[n] === SMALL ? base : base + '/' + T.name[n];
      paths[n] = base === '' ? '/' : base;
    }
    return i === 0 ? '/' : paths[i];
  }
  paths[0] = '';
  function displayPath(i) { return i === 0 ? '/' : path(i); }
  function area(i) { return DIFF ? Math.max(T.bytes[i], T.old_bytes[i]) : T.bytes[i]; }
  function label(i) {
    if (T.kind[i] === SMALL) return T.files[i] + ' small file' + (T.files[i] === 1 ? '' : 's');
    return i === 0 ? '/' : T.name[i];
  }
  var byPath = null;
  function lookup(p) {
    if (!byPath) {
      byPath = new Map();
      for (var i = 0; i < N; i++) if (T.kind[i] !== SMALL) byPath.set(displayPath(i), i);
    }
    return byPath.has(p) ? byPath.get(p) : -1;
  }
  var nodeFindings = {};
  D.findings.forEach(function (f, fi) {
    f.nodes.forEach(function (n) { (nodeFindings[n] || (nodeFindings[n] = [])).push(fi); });
  });

  // ---------------------------------------------------------------- colours
  var MODES = DIFF
    ? [['change', 'change (added / grown / removed)'], ['step', 'step that added the bytes'], ['category', 'waste category']]
    : [['step', 'step that added the bytes'], ['package', 'package'], ['manager', 'package manager'], ['category', 'waste category']];
  var CAT_COLORS = ['#e5534b', '#f2b84b', '#b083f0', '#4fb3d9', '#e0823d', '#d66ba0', '#8ddb8c', '#c9d05c', '#6cb6ff', '#ff938a'];
  var MANAGER_COLORS = { dpkg: '#d66ba0', apk: '#4fb3d9', conda: '#8ddb8c', pip: '#f2b84b' };
  var CHANGE_COLORS = ['#4a505c', '#e5534b', '#f2b84b', '#57ab5a', '#2f7d32', '#b083f0'];
  var NONE = '#4a505c';
  function hue(k, s, l) { return 'hsl(' + ((k * 137.508 + 200) % 360).toFixed(1) + ',' + s + '%,' + l + '%)'; }
  function keyOf(mode, i) {
    switch (mode) {
      case 'step': return T.step[i];
      case 'package': return T.package[i];
      case 'manager': return T.package[i] < 0 ? -1 : D.packages[T.package[i]].manager;
      case 'category': return T.category[i];
      case 'change': return T.change[i];
    }
    return -1;
  }
  function colorOfKey(mode, k) {
    if (mode === 'change') return CHANGE_COLORS[k] || NONE;
    if (k === -1 || k == null) return NONE;
    if (mode === 'step') return hue(k, 58, 56);
    if (mode === 'package') return hue(k + 3, 50, 58);
    if (mode === 'manager') return MANAGER_COLORS[k] || '#aaa';
    if (mode === 'category') return CAT_COLORS[k % CAT_COLORS.length];
    return NONE;
  }
  function keyName(mode, k) {
    if (mode === 'change') return CHANGES[k];
    if (k === -1 || k == null) {
      return { step: 'no step', package: 'no package', manager: 'no package', category: 'no finding' }[mode];
    }
    if (mode === 'step') {
      var s = D.steps[k];
      return s ? 'step ' + s.index + ': ' + s.instruction : 'step ' + k;
    }
    if (mode === 'package') { var pk = D.packages[k]; return pk.name + ' ' + pk.version + ' (' + pk.manager + ')'; }
    if (mode === 'category') return D.categories[k];
    return String(k);
  }
  // A directory drawn as one tile takes its largest key's colour.
  var dominantMemo = {};
  function dominant(mode, i) {
    if (T.kind[i] !== DIR) return keyOf(mode, i);
    if (mode === 'change') return T.change[i];
    var memo = dominantMemo[mode] || (dominantMemo[mode] = new Map());
    if (memo.has(i)) return memo.get(i);
    var sums = new Map(), stack = [i];
    while (stack.length) {
      var n = stack.pop();
      if (T.kind[n] === DIR) { if (kids[n]) for (var c = 0; c < kids[n].length; c++) stack.push(kids[n][c]); continue; }
      var k = keyOf(mode, n);
      sums.set(k, (sums.get(k) || 0) + T.bytes[n]);
    }
    var best = -1, bestB = -1;
    sums.forEach(function (b, k) { if (b > bestB) { best = k; bestB = b; } });
    memo.set(i, best);
    return best;
  }

  // ---------------------------------------------------------------- state
  var state = { zoom: 0, mode: MODES[0][0], query: '' };
  var hits = null; // Set of matching nodes and their ancestors
  var matches = [];

  function readHash() {
    var h = location.hash.replace(/^#/, '');
    if (!h || h.indexOf('=') < 0) return;
    h.split('&').forEach(function (kv) {
      var a = kv.split('='), v = decodeURIComponent(a[1] || '');
      if (a[0] === 'zoom') { var z = lookup(v); if (z >= 0 && T.kind[z] === DIR) state.zoom = z; }
      if (a[0] === 'color' && MODES.some(function (m) { return m[0] === v; })) state.mode = v;
      if (a[0] === 'q') state.query = v;
    });
  }
  function writeHash() {
    var h = 'color=' + state.mode + '&zoom=' + encodeURIComponent(displayPath(state.zoom));
    if (state.query) h += '&q=' + encodeURIComponent(state.query);
    if (location.hash.slice(1) !== h) history.replaceState(null, '', '#' + h);
  }

  // ---------------------------------------------------------------- layout
  // Squarified treemap (Bruls, Huizing, van Wijk): rows along the short
  // side, each grown while its worst aspect ratio improves.
  function squarify(vals, x, y, w, h) {
    var out = [], total = 0, i;
    for (i = 0; i < vals.length; i++) total += vals[i];
    if (total <= 0 || w <= 0 || h <= 0) return out;
    var scale = w * h / total;
    i = 0;
    while (i < vals.length) {
      var side = Math.min(w, h), rowSum = 0, mn = Infinity, mx = 0, best = Infinity, j = i;
      while (j < vals.length) {
        var a = vals[j] * scale, s = rowSum + a;
        var nmn = Math.min(mn, a), nmx = Math.max(mx, a);
        var worst = Math.max(side * side * nmx / (s * s), (s * s) / (side * side * nmn));
        if (j > i && worst > best) break;
        best = worst; rowSum = s; mn = nmn; mx = nmx; j++;
      }
      var thick = rowSum / side, off = 0;
      for (var k = i; k < j; k++) {
        var len = vals[k] * scale / thick;
        if (w >= h) out.push([x, y + off, thick, len]); else out.push([x + off, y, len, thick]);
        off += len;
      }
      if (w >= h) { x += thick; w -= thick; } else { y += thick; h -= thick; }
      i = j;
    }
    return out;
  }

  var svg = $('treemap');
  var drawnSize = '';
  function render() {
    writeHash();
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    // A fixed pixel height, so the drawing and its box always agree.
    var H = Math.min(820, Math.max(360, Math.round((window.innerHeight || 900) * 0.62)));
    svg.style.height = H + 'px';
    var W = svg.clientWidth || 1000;
    drawnSize = W + 'x' + H;
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    svg.classList.toggle('searching', !!hits);
    var drawn = 0;
    var queue = [[state.zoom, 0, 0, W, H, 1]];
    var frag = document.createDocumentFragment();
    var labels = [];
    while (queue.length) {
      var q = queue.shift();
      var d = q[0], depth = q[5];
      var ch = (kids[d] || []).filter(function (c) { return area(c) > 0; });
      var rest = null;
      var limit = depth === 1 ? MAX_DIRECT : 300;
      if (ch.length > limit) {
        var more = ch.slice(limit), mb = 0, mf = 0;
        more.forEach(function (c) { mb += area(c); mf += T.files[c]; });
        ch = ch.slice(0, limit);
        rest = { bytes: mb, files: mf, count: more.length };
      }
      var vals = ch.map(area);
      if (rest) vals.push(rest.bytes);
      var rects = squarify(vals, q[1], q[2], q[3], q[4]);
      for (var k = 0; k < rects.length; k++) {
        if (depth > 1 && drawn >= MAX_TILES) break;
        var r = rects[k], c = k < ch.length ? ch[k] : -1;
        var rect = document.createElementNS(SVGNS, 'rect');
        rect.setAttribute('x', r[0].toFixed(1)); rect.setAttribute('y', r[1].toFixed(1));
        rect.setAttribute('width', Math.max(0, r[2]).toFixed(1)); rect.setAttribute('height', Math.max(0, r[3]).toFixed(1));
        rect.setAttribute('data-depth', depth);
        drawn++;
        if (c < 0) {
          rect.setAttribute('class', 'tile small more');
          rect.setAttribute('data-path', displayPath(d));
          rect.setAttribute('data-bytes', rest.bytes);
          rect.setAttribute('data-more', rest.count);
          rect.setAttribute('fill', NONE);
          frag.appendChild(rect);
          continue;
        }
        var kind = T.kind[c];
        var big = kind === DIR && r[2] > 36 && r[3] > 30 && depth < 12 && drawn < MAX_TILES;
        var cls = 'tile' + (kind === DIR ? ' dir' : '') + (kind === SMALL ? ' small' : '') + (big ? ' frame' : '');
        if (DIFF && T.change[c] === 4) cls += ' removed';
        if (hits && hits.has(c)) cls += ' hit';
        rect.setAttribute('class', cls);
        rect.setAttribute('data-i', c);
        rect.setAttribute('data-path', displayPath(c));
        rect.setAttribute('data-bytes', T.bytes[c]);
        if (DIFF) {
          rect.setAttribute('data-old-bytes', T.old_bytes[c]);
          rect.setAttribute('data-change', CHANGES[T.change[c]]);
        }
        if (kind === SMALL) rect.setAttribute('data-files', T.files[c]);
        if (!big) rect.setAttribute('fill', colorOfKey(state.mode, dominant(state.mode, c)));
        frag.appendChild(rect);
        if (big) {
          labels.push([r[0] + 3, r[1] + 12, label(c) + '  ' + human(T.bytes[c]), r[2] - 6, true]);
          queue.push([c, r[0] + 2, r[1] + 16, r[2] - 4, r[3] - 18, depth + 1]);
        } else if (r[2] > 44 && r[3] > 14) {
          labels.push([r[0] + 3, r[1] + 12, label(c), r[2] - 6, false]);
          if (r[3] > 28) labels.push([r[0] + 3, r[1] + 25, human(T.bytes[c]), r[2] - 6, false]);
        }
      }
    }
    labels.forEach(function (l) {
      var t = document.createElementNS(SVGNS, 'text');
      t.setAttribute('x', l[0].toFixed(1)); t.setAttribute('y', l[1].toFixed(1));
      if (l[4]) t.setAttribute('class', 'head');
      var max = Math.floor(l[3] / 6.5);
      t.textContent = l[2].length > max ? l[2].slice(0, Math.max(0, max - 1)) + '…' : l[2];
      frag.appendChild(t);
    });
    svg.appendChild(frag);
    renderCrumbs();
    renderLegend();
  }

  function renderCrumbs() {
    var c = $('crumbs');
    c.textContent = '';
    var chain = [], j = state.zoom;
    while (j !== 0) { chain.push(j); j = T.parent[j]; }
    chain.push(0);
    chain.reverse().forEach(function (n, k) {
      if (k > 1) c.appendChild(el('span', { 'class': 'sep' }, '/'));
      var a = el('a', { 'data-i': n, 'data-path': displayPath(n) }, k === 0 ? '/ (image root)' : T.name[n]);
      a.addEventListener('click', function () { zoom(n); });
      c.appendChild(a);
    });
    c.appendChild(el('span', { 'class': 'note' }, '  ' + human(T.bytes[state.zoom]) + ' · ' + exact(T.files[state.zoom]) + ' files'));
  }

  function renderLegend() {
    var sums = new Map(), stack = [state.zoom], mode = state.mode;
    while (stack.length) {
      var n = stack.pop();
      if (T.kind[n] === DIR) { if (kids[n]) for (var c = 0; c < kids[n].length; c++) stack.push(kids[n][c]); continue; }
      var k = keyOf(mode, n);
      sums.set(k, (sums.get(k) || 0) + area(n));
    }
    var list = Array.from(sums.entries()).sort(function (a, b) { return b[1] - a[1]; });
    var lg = $('legend');
    lg.textContent = '';
    list = list.filter(function (e) { return e[1] > 0; });
    list.slice(0, 14).forEach(function (e) {
      var s = el('span');
      var sw = el('i');
      sw.style.background = colorOfKey(mode, e[0]);
      s.appendChild(sw);
      var name = keyName(mode, e[0]);
      s.appendChild(document.createTextNode((name.length > 60 ? name.slice(0, 59) + '…' : name) + ' ' + human(e[1])));
      s.title = name;
      lg.appendChild(s);
    });
    if (list.length > 14) lg.appendChild(el('span', { 'class': 'note' }, '… ' + (list.length - 14) + ' more'));
  }

  function zoom(i) {
    if (i < 0 || T.kind[i] !== DIR) return;
    state.zoom = i;
    render();
  }

  // ---------------------------------------------------------------- hover
  var tip = $('tip');
  function tipRow(k, v) {
    var d = el('div');
    d.appendChild(el('span', { 'class': 'k' }, k + ': '));
    d.appendChild(document.createTextNode(v));
    return d;
  }
  function showTip(target, ev) {
    tip.textContent = '';
    if (target.hasAttribute('data-more')) {
      tip.appendChild(el('div', { 'class': 'p' }, target.getAttribute('data-path')));
      tip.appendChild(tipRow('more entries', target.getAttribute('data-more') + ', ' + human(+target.getAttribute('data-bytes'))));
    } else {
      var i = +target.getAttribute('data-i'), kind = T.kind[i];
      tip.appendChild(el('div', { 'class': 'p' }, kind === SMALL ? displayPath(i) + '/ (' + label(i) + ')' : displayPath(i)));
      tip.appendChild(tipRow('bytes', human(T.bytes[i]) + ' (' + exact(T.bytes[i]) + ')'));
      if (DIFF) tip.appendChild(tipRow('change', CHANGES[T.change[i]] + ', was ' + human(T.old_bytes[i])));
      if (kind === DIR || kind === SMALL) tip.appendChild(tipRow('files', exact(T.files[i])));
      if (kind === DIR) {
        tip.appendChild(tipRow('mostly', keyName(state.mode, dominant(state.mode, i))));
      } else {
        tip.appendChild(tipRow('step', keyName('step', T.step[i])));
        tip.appendChild(tipRow('package', keyName('package', T.package[i])));
      }
      (nodeFindings[i] || []).slice(0, 4).forEach(function (fi) {
        var f = D.findings[fi];
        tip.appendChild(tipRow('finding', '[' + f.category + '] ' + f.message));
      });
    }
    tip.hidden = false;
    var wrap = svg.parentNode.getBoundingClientRect();
    var x = ev.clientX - wrap.left + 14, y = ev.clientY - wrap.top + 14;
    if (x + 360 > wrap.width) x = Math.max(0, x - 380);
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  }
  svg.addEventListener('mousemove', function (ev) {
    var t = ev.target;
    if (t && t.classList && t.classList.contains('tile')) showTip(t, ev); else tip.hidden = true;
  });
  svg.addEventListener('mouseleave', function () { tip.hidden = true; });
  svg.addEventListener('click', function (ev) {
    var t = ev.target;
    if (!t || !t.hasAttribute || !t.hasAttribute('data-i')) return;
    var i = +t.getAttribute('data-i');
    if (T.kind[i] === DIR) zoom(i);
  });
  svg.addEventListener('contextmenu', function (ev) {
    if (state.zoom !== 0) { ev.preventDefault(); zoom(T.parent[state.zoom]); }
  });

  // ---------------------------------------------------------------- search
  var searchTimer = null;
  function runSearch() {
    var q = state.query.trim().toLowerCase();
    var list = $('search-results');
    list.textContent = '';
    hits = null; matches = [];
    if (q.length === 0) { $('search-status').textContent = ''; render(); return; }
    for (var i = 1; i < N; i++) {
      if (T.kind[i] === SMALL) continue;
      if (displayPath(i).toLowerCase().indexOf(q) >= 0) matches.push(i);
    }
    // Only outermost matches count bytes once.
    var set = new Set(matches), bytes = 0;
    hits = new Set();
    matches.forEach(function (m) {
      var j = T.parent[m], inner = false;
      while (j !== 0) { if (set.has(j)) { inner = true; break; } j = T.parent[j]; }
      if (!inner) bytes += T.bytes[m];
      j = m;
      while (j !== 0 && !hits.has(j)) { hits.add(j); j = T.parent[j]; }
    });
    matches.sort(function (a, b) { return T.bytes[b] - T.bytes[a]; });
    $('search-status').textContent = exact(matches.length) + ' match' + (matches.length === 1 ? '' : 'es') + ', ' + human(bytes) +
      (T.folded_files ? ' (small files are folded and not searched)' : '');
    matches.slice(0, 200).forEach(function (m) {
      var li = el('li', { 'data-i': m, 'data-path': displayPath(m) });
      li.appendChild(el('span', null, displayPath(m)));
      li.appendChild(el('span', { 'class': 'note' }, '  ' + human(T.bytes[m])));
      li.addEventListener('click', function () { zoom(T.kind[m] === DIR ? m : T.parent[m]); });
      list.appendChild(li);
    });
    render();
  }
  var search = $('search');
  search.addEventListener('input', function () {
    state.query = search.value;
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 120);
  });

  // ---------------------------------------------------------------- colour select
  var sel = $('color-by');
  MODES.forEach(function (m) { sel.appendChild(el('option', { value: m[0] }, m[1])); });
  sel.addEventListener('change', function () { state.mode = sel.value; render(); });

  // ---------------------------------------------------------------- header
  function stat(v, k, cls) {
    var d = el('div', { 'class': 'stat' });
    d.appendChild(el('b', cls ? { 'class': cls } : null, v));
    d.appendChild(el('span', null, k));
    return d;
  }
  function renderHeader() {
    var h = D.header;
    $('image-name').textContent = h.image + (DIFF && h.base_image ? '  vs  ' + h.base_image : '');
    var s = $('stats');
    s.appendChild(stat(human(h.size_bytes), 'image size (' + h.layer_count + ' layers)'));
    s.appendChild(stat(human(h.final_size_bytes), 'final tree, ' + exact(h.file_count) + ' files'));
    if (DIFF && h.base_final_size_bytes != null) {
      var delta = h.final_size_bytes - h.base_final_size_bytes;
      s.appendChild(stat((delta >= 0 ? '+' : '−') + human(Math.abs(delta)), 'growth of the final tree', delta > 0 ? 'fail' : 'pass'));
    }
    s.appendChild(stat(human(h.compressed_size_bytes), 'pull size (compressed)'));
    s.appendChild(stat(human(h.reclaimable_bytes), 'reclaimable'));
    s.appendChild(stat(pct(h.efficiency), 'dive efficiency'));
    if (h.budget_passed == null) s.appendChild(stat('no budget', 'budget'));
    else {
      var failed = h.budget_checks.filter(function (c) { return !c.passed; }).length;
      s.appendChild(stat(h.budget_passed ? 'PASS' : 'FAIL', h.budget_passed ? 'all ' + h.budget_checks.length + ' budget checks'
        : failed + ' of ' + h.budget_checks.length + ' budget checks fail', h.budget_passed ? 'pass' : 'fail'));
      var ul = el('ul');
      h.budget_checks.forEach(function (c) {
        var li = el('li');
        li.appendChild(el('b', { 'class': c.passed ? 'pass' : 'fail' }, c.passed ? 'PASS ' : 'FAIL '));
        li.appendChild(document.createTextNode(c.name + ': ' + c.message));
        ul.appendChild(li);
      });
      $('budget').appendChild(ul);
    }
    document.title = 'ballast: ' + h.image;
  }

  // ---------------------------------------------------------------- steps chart
  function renderSteps() {
    var steps = D.steps.filter(function (s) { return s.layer_index != null; });
    var anyInherited = steps.some(function (s) { return s.inherited != null; });
    $('steps-note').textContent = 'Bar: the layer each step made; darker: its bytes still in the final image' +
      (anyInherited ? '; blue: steps inherited from the base image, orange: yours.' : '.');
    var max = 1;
    steps.forEach(function (s) { max = Math.max(max, s.size_bytes); });
    var rowH = 22, W = 1000, labelW = 430, barW = W - labelW - 110;
    var s = document.createElementNS(SVGNS, 'svg');
    s.setAttribute('viewBox', '0 0 ' + W + ' ' + (steps.length * rowH + 4));
    s.setAttribute('role', 'img');
    s.setAttribute('aria-label', 'Bytes per step');
    steps.forEach(function (st, k) {
      var y = k * rowH + 2;
      var g = document.createElementNS(SVGNS, 'g');
      g.setAttribute('class', 'step-bar');
      g.setAttribute('data-step', st.index);
      g.setAttribute('data-bytes', st.size_bytes);
      if (st.inherited != null) g.setAttribute('data-inherited', st.inherited);
      var t = document.createElementNS(SVGNS, 'text');
      t.setAttribute('x', 0); t.setAttribute('y', y + 15);
      var txt = st.index + '  ' + st.instruction;
      t.textContent = txt.length > 62 ? txt.slice(0, 61) + '…' : txt;
      var title = document.createElementNS(SVGNS, 'title');
      title.textContent = 'step ' + st.index + ': ' + st.instruction + '\n' + human(st.size_bytes) + ' in its layer, ' +
        human(st.final_bytes) + ' still in the final image; +' + st.added + ' ~' + st.modified + ' -' + st.removed + ' paths';
      g.appendChild(title);
      g.appendChild(t);
      var base = st.inherited === true ? '#4f7fb8' : (anyInherited ? '#e0823d' : hue(st.index, 58, 56));
      var w = barW * st.size_bytes / max, fw = barW * st.final_bytes / max;
      [[w, 0.45], [Math.min(fw, w), 1]].forEach(function (b) {
        var r = document.createElementNS(SVGNS, 'rect');
        r.setAttribute('x', labelW); r.setAttribute('y', y + 3);
        r.setAttribute('width', Math.max(b[0], st.size_bytes > 0 ? 1 : 0).toFixed(1)); r.setAttribute('height', rowH - 7);
        r.setAttribute('fill', base); r.setAttribute('fill-opacity', b[1]);
        g.appendChild(r);
      });
      var v = document.createElementNS(SVGNS, 'text');
      v.setAttribute('x', labelW + w + 6); v.setAttribute('y', y + 15); v.setAttribute('class', 'muted');
      v.textContent = human(st.size_bytes);
      g.appendChild(v);
      s.appendChild(g);
    });
    $('step-chart').appendChild(s);
  }

  // ---------------------------------------------------------------- tables
  function table(headers, rows) {
    var t = el('table'), tr = el('tr');
    headers.forEach(function (h) { tr.appendChild(el('th', h[1] ? { 'class': h[1] } : null, h[0])); });
    t.appendChild(tr);
    rows.forEach(function (r) { t.appendChild(r); });
    return t;
  }
  function td(text, cls) { return el('td', cls ? { 'class': cls } : null, text); }
  function searchFor(p) {
    search.value = p; state.query = p; runSearch();
    $('map').scrollIntoView();
  }
  function renderFindings() {
    var body = $('findings-body');
    if (!D.findings.length) { body.appendChild(el('p', null, 'No findings.')); return; }
    var rows = D.findings.map(function (f) {
      var tr = el('tr', { 'class': 'finding' });
      tr.appendChild(td(f.severity, 'sev-' + f.severity));
      tr.appendChild(td(f.bytes ? human(f.bytes) : '-', 'n'));
      tr.appendChild(td(f.step_index == null ? '-' : String(f.step_index), 'n'));
      tr.appendChild(td(f.category));
      var m = td(f.message);
      if (f.paths.length) {
        var ps = el('div', { 'class': 'mono' });
        f.paths.slice(0, 3).forEach(function (p, k) {
          var a = el('a', { href: '#map', 'data-path': p }, p);
          a.addEventListener('click', function (ev) { ev.preventDefault(); searchFor(p); });
          if (k) ps.appendChild(document.createTextNode(' · '));
          ps.appendChild(a);
        });
        if (f.path_count > 3) ps.appendChild(document.createTextNode(' (+' + (f.path_count - 3) + ' more)'));
        m.appendChild(ps);
      }
      tr.appendChild(m);
      tr.appendChild(td(f.suggestion, 'fix'));
      return tr;
    });
    body.appendChild(table([['severity'], ['bytes', 'n'], ['step', 'n'], ['category'], ['finding'], ['fix']], rows));
    var sg = $('suggestions');
    D.suggestions.forEach(function (s) {
      var d = el('div', { 'class': 'suggestion' });
      d.appendChild(el('b', null, 'step ' + s.step_index + ' '));
      d.appendChild(el('span', { 'class': 'mono' }, s.instruction));
      d.appendChild(el('span', { 'class': 'note' }, s.bytes ? '  saves ' + human(s.bytes) : '  no size change'));
      var ul = el('ul');
      s.fixes.forEach(function (f) { ul.appendChild(el('li', { 'class': 'fix' }, f)); });
      d.appendChild(ul);
      sg.appendChild(d);
    });
  }
  function renderPackages() {
    var body = $('packages-body'), pt = D.package_totals;
    if (!D.packages.length) { body.appendChild(el('p', null, 'No package records found in the image.')); return; }
    body.appendChild(el('p', null, pt.by_manager.map(function (m) { return m[1] + ' ' + m[0] + ' (' + human(m[2]) + ')'; }).join(', ') +
      '; ' + human(pt.owned_bytes) + ' owned, ' + human(pt.unowned_bytes) + ' owned by no package. Click a row to see its files in the treemap.'));
    var rows = D.packages.slice(0, 500).map(function (p, k) {
      var tr = el('tr', { 'class': 'clickable', 'data-package': k });
      tr.appendChild(td(human(p.bytes), 'n'));
      tr.appendChild(td(p.manager));
      tr.appendChild(td(p.name));
      tr.appendChild(td(p.version, 'mono'));
      tr.appendChild(td(exact(p.file_count), 'n'));
      tr.appendChild(td(p.step_index == null ? '-' : String(p.step_index), 'n'));
      tr.appendChild(td(p.location, 'path'));
      tr.addEventListener('click', function () { showPackage(k); });
      return tr;
    });
    body.appendChild(table([['bytes', 'n'], ['manager'], ['package'], ['version'], ['files', 'n'], ['step', 'n'], ['location']], rows));
    if (D.packages.length > 500) body.appendChild(el('p', { 'class': 'note' }, '… ' + (D.packages.length - 500) + ' smaller packages'));
  }
  function showPackage(k) {
    hits = new Set(); matches = [];
    for (var i = 1; i < N; i++) {
      if (T.package[i] !== k) continue;
      matches.push(i);
      var j = i;
      while (j !== 0 && !hits.has(j)) { hits.add(j); j = T.parent[j]; }
    }
    var pk = D.packages[k];
    $('search-status').textContent = pk.name + ' ' + pk.version + ': ' + human(pk.bytes) + ' in ' + exact(pk.file_count) + ' files (highlighted)';
    state.mode = 'package'; sel.value = 'package';
    render();
    $('map').scrollIntoView();
  }
  function renderDive() {
    var b = $('dive-body'), d = D.dive;
    if (!d) return;
    b.appendChild(el('p', null, 'efficiency ' + pct(d.efficiency) + ' · wastedBytes ' + exact(d.wasted_bytes) + ' (' + human(d.wasted_bytes) +
      ') · userWastedPercent ' + (d.user_wasted_percent == null ? 'n/a (one layer)' : pct(d.user_wasted_percent)) + ' (dive 0.13.1 formula)'));
    if (!d.inefficient_files.length) return;
    b.appendChild(table([['count', 'n'], ['wasted', 'n'], ['path']], d.inefficient_files.map(function (f) {
      var tr = el('tr');
      tr.appendChild(td(String(f[1]), 'n')); tr.appendChild(td(human(f[2]), 'n')); tr.appendChild(td(f[0], 'path'));
      return tr;
    })));
  }
  function renderWarnings() {
    if (!D.warnings.length) return;
    $('warnings-section').hidden = false;
    D.warnings.forEach(function (w) { $('warnings').appendChild(el('li', null, w)); });
  }

  // ---------------------------------------------------------------- start
  renderHeader();
  if (T.folded_files) {
    $('folded').textContent = exact(T.folded_files) + ' files smaller than ' + human(T.small_below) +
      ' are drawn as "N small files" per directory; every byte is still counted.';
  }
  readHash();
  sel.value = state.mode;
  window.addEventListener('hashchange', function () { readHash(); sel.value = state.mode; render(); });
  var resizeTimer = null;
  function resized() {
    if (svg.clientWidth + 'x' + svg.clientHeight === drawnSize) return;
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(render, 100);
  }
  window.addEventListener('resize', resized);
  if (window.ResizeObserver) new ResizeObserver(resized).observe(svg);
  performance.mark('ballast-indexed');
  if (state.query) { search.value = state.query; runSearch(); } else render();
  performance.mark('ballast-treemap');
  renderSteps();
  renderFindings();
  renderPackages();
  renderDive();
  renderWarnings();
  document.body.setAttribute('data-ready', '1');
  window.ballastReady = performance.now();
})();
