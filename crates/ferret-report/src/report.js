(function () {
  document.documentElement.setAttribute('data-js', 'ready');
  var q = document.getElementById('tl-q');
  var only = document.getElementById('tl-only');
  var mod = document.getElementById('tl-mod');
  var table = document.getElementById('tl-table');
  var shown = document.getElementById('tl-shown');
  if (!q || !only || !mod || !table) { return; }
  var rows = table.tBodies[0].rows;
  function apply() {
    var text = q.value.toLowerCase();
    var m = mod.value;
    var n = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var ok = (!only.checked || r.classList.contains('hit') || r.classList.contains('alert-row')) &&
        (m === '' || r.getAttribute('data-m') === m) &&
        (text === '' || r.textContent.toLowerCase().indexOf(text) >= 0);
      r.hidden = !ok;
      if (ok) { n++; }
    }
    if (shown) { shown.textContent = String(n); }
  }
  if (window.location.hash === '#alerts-only') { only.checked = true; }
  q.addEventListener('input', apply);
  only.addEventListener('change', apply);
  mod.addEventListener('change', apply);
  apply();
})();
