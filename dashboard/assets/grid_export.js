// The CSV button above every table (dashboard/grid.py): export the rows as filtered and sorted.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("button.grid-csv");
  if (!button || !window.dash_ag_grid) {
    return;
  }
  var gridId = button.getAttribute("data-grid");
  window.dash_ag_grid.getApiAsync(gridId).then(function (api) {
    api.exportDataAsCsv();
  });
});
