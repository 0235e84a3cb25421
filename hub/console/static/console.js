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
