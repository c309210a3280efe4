/* Indicator dashboard charts: Chart.js served from /static/vendor (no CDN). The tables hold the same figures. */
(function () {
  "use strict";
  if (!window.Chart) return;
  var font = '"Noto Sans CJK SC","WenQuanYi Micro Hei","PingFang SC","Microsoft YaHei",sans-serif';
  window.Chart.defaults.font.family = font;
  window.Chart.defaults.animation = false;
  function data(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  var p = data("chart-progress-data");
  var canvas = document.getElementById("chart-progress");
  if (p && canvas) {
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: p.labels, datasets: [{ label: p.label, data: p.progress,
        backgroundColor: p.progress.map(function (v) { return v >= 100 ? "#17603a" : "#0b4f8a"; }) }] },
      options: { indexAxis: "y", responsive: true, maintainAspectRatio: false,
        scales: { x: { beginAtZero: true, suggestedMax: 100, ticks: { callback: function (v) { return v + "%"; } } } },
        plugins: { legend: { display: false } } }
    });
  }
  var d = data("chart-districts-data");
  var dc = document.getElementById("chart-districts");
  if (d && dc) {
    new window.Chart(dc, {
      type: "bar",
      data: { labels: d.labels, datasets: [
        { label: d.label_amount, data: d.amount, backgroundColor: "#a4161a", yAxisID: "y" },
        { label: d.label_awards, data: d.awards, backgroundColor: "#0b4f8a", yAxisID: "y1" }] },
      options: { responsive: true, maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, position: "left" }, y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, ticks: { precision: 0 } } } }
    });
  }
})();
