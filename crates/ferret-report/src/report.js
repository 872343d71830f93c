(function () {
  'use strict';
  var root = document.documentElement;
  root.setAttribute('data-js', 'ready');

  // A link to something inside closed <details> opens them.
  function reveal(id) {
    var el = id && document.getElementById(id);
    for (var p = el; p; p = p.parentElement) {
      if (p.tagName === 'DETAILS') { p.open = true; }
    }
    return el;
  }

  var table = document.getElementById('tl-table');
  var box = document.getElementById('tl');
  var q = document.getElementById('tl-q');
  var mod = document.getElementById('tl-mod');
  var lvl = document.getElementById('tl-lvl');
  var from = document.getElementById('tl-from');
  var to = document.getElementById('tl-to');
  var prev = document.getElementById('tl-prev');
  var next = document.getElementById('tl-next');
  var status = document.getElementById('tl-status');
  var shown = document.getElementById('tl-shown');
  var ready = table && box && q && mod && lvl && from && to && prev && next && status && shown;
  var rows = ready ? table.tBodies[0].rows : [];
  var size = ready ? (parseInt(table.getAttribute('data-page'), 10) || 100) : 100;
  var page = 0;
  var matching = [];

  function seconds(v) {
    if (!v) { return null; }
    var ms = Date.parse(v.length === 10 ? v + 'T00:00Z' : v + 'Z');
    return isNaN(ms) ? null : ms / 1000;
  }

  function has(r, c) { return r.classList.contains(c); }

  function keep(r, f) {
    if (f.m && r.getAttribute('data-m') !== f.m) { return false; }
    if (f.l === 'alerts') {
      if (!has(r, 'alert-row') && !has(r, 'hit')) { return false; }
    } else if (f.l === 'near') {
      if (!has(r, 'alert-row') && !has(r, 'hit') && !has(r, 'near')) { return false; }
    } else if (f.l && r.getAttribute('data-l') !== f.l) {
      return false;
    }
    var t = parseInt(r.getAttribute('data-t'), 10);
    if (f.from !== null && t < f.from) { return false; }
    if (f.to !== null && t > f.to) { return false; }
    if (f.q && r.textContent.toLowerCase().indexOf(f.q) < 0) { return false; }
    return true;
  }

  function show() {
    var pages = Math.max(1, Math.ceil(matching.length / size));
    if (page >= pages) { page = pages - 1; }
    if (page < 0) { page = 0; }
    var lo = page * size;
    var hi = Math.min(matching.length, lo + size);
    for (var i = 0; i < rows.length; i++) { rows[i].hidden = true; }
    for (var j = lo; j < hi; j++) { matching[j].hidden = false; }
    shown.textContent = String(matching.length);
    status.textContent = matching.length === 0 ? status.getAttribute('data-none') :
      status.getAttribute('data-fmt').replace('{a}', String(lo + 1)).replace('{b}', String(hi))
        .replace('{n}', String(matching.length));
    prev.disabled = page === 0;
    next.disabled = hi >= matching.length;
  }

  function apply() {
    var f = {
      q: q.value.toLowerCase(), m: mod.value, l: lvl.value,
      from: seconds(from.value), to: seconds(to.value)
    };
    if (f.to !== null) { f.to += to.value.length === 10 ? 86399 : (to.value.length === 16 ? 59 : 0); }
    matching = [];
    for (var i = 0; i < rows.length; i++) {
      if (keep(rows[i], f)) { matching.push(rows[i]); }
    }
    page = 0;
    show();
  }

  // #tl?q=…&m=…&l=…&from=…&to=…&p=… sets the filters (and #alerts-only, as before).
  function fromHash() {
    var h = window.location.hash;
    if (h === '#alerts-only') { h = '#tl?l=alerts'; }
    if (h.indexOf('#tl?') !== 0) { return false; }
    var parts = h.substring(4).split('&');
    var p = 0;
    for (var i = 0; i < parts.length; i++) {
      var kv = parts[i].split('=');
      var v = decodeURIComponent((kv[1] || '').replace(/\+/g, ' '));
      if (kv[0] === 'q') { q.value = v; }
      if (kv[0] === 'm') { mod.value = v; }
      if (kv[0] === 'l') { lvl.value = v; }
      if (kv[0] === 'from') { from.value = v; }
      if (kv[0] === 'to') { to.value = v; }
      if (kv[0] === 'p') { p = (parseInt(v, 10) || 1) - 1; }
    }
    box.open = true;
    apply();
    page = p;
    show();
    return true;
  }

  if (ready) {
    q.addEventListener('input', apply);
    mod.addEventListener('change', apply);
    lvl.addEventListener('change', apply);
    from.addEventListener('change', apply);
    to.addEventListener('change', apply);
    prev.addEventListener('click', function () { page--; show(); });
    next.addEventListener('click', function () { page++; show(); });
    if (!fromHash()) { apply(); }
  }
  window.addEventListener('hashchange', function () {
    if (!(ready && fromHash())) { reveal(window.location.hash.substring(1)); }
  });
  if (window.location.hash && window.location.hash.indexOf('#tl?') !== 0) {
    reveal(window.location.hash.substring(1));
  }
})();
