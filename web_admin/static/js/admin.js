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
// Administration: a search box narrows long folded lists (the classifier's subcategories, the
// routing rules) to the rows whose cells (but the last, the row's form) with their group's
// title hold every typed word, and opens the groups that keep a row.
document.addEventListener("input", (event) => {
  const box = event.target;
  if (!box.matches("input[data-filter-rows]")) return;
  const root = document.getElementById(box.dataset.filterRows);
  if (!root) return;
  const norm = (text) => text.toLowerCase().replace(/ё/g, "е");
  const words = norm(box.value).split(/\s+/).filter(Boolean);
  for (const group of root.querySelectorAll("details[data-filter-group]")) {
    const title = norm(group.querySelector("summary").textContent);
    let shown = 0;
    for (const row of group.querySelectorAll("tbody tr[id]")) {
      const cells = Array.from(row.cells).slice(0, -1).map((cell) => cell.textContent);
      const text = title + " " + norm(cells.join(" "));
      const match = words.every((w) => text.includes(w));
      row.hidden = !match;
      const next = row.nextElementSibling;
      if (next && next.classList.contains("error-row")) next.hidden = !match;
      if (match) shown += 1;
    }
    group.hidden = shown === 0;
    if (words.length) group.open = shown > 0;
  }
});
