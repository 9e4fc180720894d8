// Small behaviours of the web admin. The page's CSP forbids inline scripts, so they live here;
// every page also works without them.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches("select[data-autosubmit]")) {
    el.form.submit();
  }
  // An answer template fills the answer text; what staff already typed is kept below it.
  if (el.matches("select[data-template-for]")) {
    const area = document.getElementById(el.dataset.templateFor);
    const option = el.selectedOptions[0];
    if (area && option && option.dataset.text) {
      area.value = area.value.trim() ? option.dataset.text + "\n\n" + area.value : option.dataset.text;
      area.focus();
    }
  }
});
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
// Report charts: the configuration is JSON next to the canvas (Chart.js is loaded only on the
// report pages, before this file).
function drawCharts() {
  if (typeof window.Chart === "undefined") return;
  for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source || canvas.dataset.drawn) continue;
    const config = JSON.parse(source.textContent);
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false,
                                     animation: false, locale: "ru-RU" }, config.options || {});
    new window.Chart(canvas, config);
    canvas.dataset.drawn = "1";
  }
}
document.addEventListener("DOMContentLoaded", drawCharts);
