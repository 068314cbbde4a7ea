// Cell renderers of the dashboard's tables (dashboard/grid.py). dash-ag-grid looks them up here.
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

// A tag's value: its text (state name, status name for bad quality) with its quality class, and
// the id `val-<tag>` that tests and screen readers find it by.
dagcomponentfuncs.TagValue = function (props) {
  var data = props.data || {};
  return React.createElement(
    "span",
    { id: data.value_id, className: "tag-value " + (data.css || ""), title: data.status || "" },
    data.text === undefined ? "—" : data.text
  );
};

// A button on rows whose field is true; a click reports the row id through cellRendererData.
dagcomponentfuncs.RowButton = function (props) {
  if (!props.value) {
    return null;
  }
  var params = props.colDef.cellRendererParams || {};
  var attrs = { className: "ack-btn", type: "button" };
  attrs["data-" + params.kind] = props.node.id;
  attrs.onClick = function () {
    props.setData(props.node.id);
  };
  return React.createElement("button", attrs, params.text);
};
