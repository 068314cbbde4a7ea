// The start of a deviation report, picked on any chart of the page (dashboard/exercise_panel.py):
// every Plotly chart's click puts its x into the "ex-picked" store, so no page has to name its graphs.
(function () {
  var seen = new WeakSet();
  var clicks = 0;

  function onClick(event) {
    var point = event && event.points && event.points[0];
    if (!point || point.x === undefined || !document.getElementById("ex-bar") || !window.dash_clientside) {
      return; // no point, or a page without the exercise bar (its store is not there)
    }
    clicks += 1;
    window.dash_clientside.set_props("ex-picked", { data: { x: point.x, n: clicks } });
  }

  function hook() {
    document.querySelectorAll(".js-plotly-plot").forEach(function (graph) {
      if (!seen.has(graph) && typeof graph.on === "function") {
        seen.add(graph);
        graph.on("plotly_click", onClick);
      }
    });
  }

  setInterval(hook, 500);
})();
