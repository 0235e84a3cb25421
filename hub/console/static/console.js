// Draws the console's charts with ECharts where scripts run. Each chart's data rides in the page
// as JSON (script type=application/json) beside a table that shows the same figures without
// scripts; the table folds away once the chart is drawn.
(function () {
  if (typeof echarts === 'undefined') return;
  var charts = [];
  document.querySelectorAll('[data-chart]').forEach(function (el) {
    var source = document.getElementById(el.getAttribute('data-chart'));
    if (!source) return;
    var data = JSON.parse(source.textContent);
    el.hidden = false;
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    chart.setOption({
      animation: false,
      color: ['#2f6fde', '#e0782f', '#2a9d5c'],
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 28 },
      xAxis: { type: 'category', data: data.days },
      yAxis: { type: 'value', minInterval: 1 },
      series: data.series.map(function (s) {
        return { name: s.name, type: 'bar', data: s.data };
      }),
    });
    charts.push(chart);
    var table = el.parentNode.querySelector('details.chart-table');
    if (table) table.open = false;
    el.setAttribute('data-drawn', 'true');
  });
  window.addEventListener('resize', function () {
    charts.forEach(function (c) {
      c.resize();
    });
  });
})();

// An import's page while it runs: polls the admin API's GET /imports/:id (the session's cookie
// goes along) and fills the bar and the counts; when it has ended, reloads for the rejects.
// Without scripts the page refreshes itself instead (a meta refresh in <noscript>).
(function () {
  var box = document.querySelector('[data-poll]');
  if (!box) return;
  var url = box.getAttribute('data-poll');
  var phases = JSON.parse(box.getAttribute('data-phases') || '{}');
  var lang = document.documentElement.lang || 'en';
  var set = function (sel, text) {
    var el = box.querySelector(sel);
    if (el) el.textContent = text;
  };
  var num = function (n) {
    return Number(n || 0).toLocaleString(lang);
  };
  var tick = function () {
    fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (res) {
        return res.ok ? res.json() : Promise.reject(res.status);
      })
      .then(function (body) {
        var imp = body.import;
        if (imp.state !== 'running') {
          box.setAttribute('data-state', imp.state);
          location.reload();
          return;
        }
        var p = imp.progress || {};
        var counts = imp.summary || (imp.checkpoint && imp.checkpoint.counts) || {};
        var share = p.phase === 'queued' ? 0 : p.phase && p.phase !== 'reading' ? 1 : p.totalBytes > 0 ? Math.min(1, p.bytes / p.totalBytes) : 0;
        var pct = Math.round(share * 100);
        box.querySelector('progress').value = pct;
        set('[data-field="percent"]', pct + '%');
        set('[data-field="phase"]', phases[p.phase] || p.phase || '');
        set('[data-count="rows"] .value', num(p.rows));
        set('[data-count="accepted"] .value', num(counts.accepted));
        set('[data-count="rejected"] .value', num(counts.rejected));
        set('[data-count="duplicates"] .value', num(counts.duplicates));
        box.setAttribute('data-polled', String(Number(box.getAttribute('data-polled') || 0) + 1));
        setTimeout(tick, 1000);
      })
      .catch(function () {
        setTimeout(tick, 5000);
      });
  };
  setTimeout(tick, 500);
})();

// The segment editor: counts the rule as it changes (the form posted as it is, CSRF field and
// all, to /console/segments/count, which answers JSON when asked). Without scripts the Count
// button does the same with a page.
(function () {
  var form = document.getElementById('segment-form');
  var out = document.getElementById('segment-count');
  if (!form || !out || !form.getAttribute('data-count-url')) return;
  var timer = null;
  var asked = 0;
  function count() {
    var mine = ++asked;
    fetch(form.getAttribute('data-count-url'), {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(new FormData(form)),
      credentials: 'same-origin',
    })
      .then(function (res) {
        return res.json().then(function (body) {
          return { ok: res.ok, body: body };
        });
      })
      .then(function (r) {
        if (mine !== asked) return;
        if (r.ok && typeof r.body.count === 'number') {
          out.textContent = out.getAttribute('data-template').replace('{count}', r.body.count.toLocaleString()).replace('{of}', r.body.of.toLocaleString());
          out.removeAttribute('data-invalid');
        } else {
          out.setAttribute('data-invalid', 'true');
          out.textContent = r.body && r.body.errors ? Object.keys(r.body.errors).map(function (k) { return r.body.errors[k]; }).join('; ') : '…';
        }
      })
      .catch(function () {});
  }
  form.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(count, 350);
  });
  form.addEventListener('change', function () {
    clearTimeout(timer);
    timer = setTimeout(count, 150);
  });
})();
