"""Every table of the dashboard: an AG Grid (dash-ag-grid) that sorts, filters and exports CSV.

A page puts :func:`data_grid` in its layout once and its callbacks send ``rowData`` only, so a
student's sort and filters survive the refresh tick. Column headings go through
:func:`dashboard.i18n.t`; the grid's own words (filter menu, "no rows") through
:data:`GRID_TEXT`. The CSV button is plain HTML handled in the browser
(``assets/grid_export.js`` calls the grid's ``exportDataAsCsv``): no server round trip, no
callback to guard, and the file holds exactly the rows the reader filtered.

Cell renderers (``assets/dashAgGridComponentFunctions.js``): ``TagValue`` (a value with its
quality class and the ``val-<tag>`` id the browser tests read) and ``RowButton`` (a button
that reports its row through the grid's ``cellRendererData``).

Examples
--------
>>> grid = data_grid("tags", [col("tag", "en"), col("value", "en", numeric=True)], "en", rows=[{"id": "L"}])
>>> getattr(grid.children[0].children[0], "data-grid"), [c["headerName"] for c in grid.children[1].columnDefs]
('tags', ['Tag', 'Value'])
>>> grid.children[1].getRowId
'params.data.id'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_ag_grid as dag
from dash import html

from dashboard.i18n import t

#: AG Grid's own words in French (its built-in texts are English); English keeps the defaults.
GRID_TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "noRowsToShow": "Aucune ligne",
        "loadingOoo": "Chargement…",
        "filterOoo": "Filtrer…",
        "searchOoo": "Rechercher…",
        "selectAll": "Tout sélectionner",
        "blanks": "Vides",
        "equals": "Égal à",
        "notEqual": "Différent de",
        "blank": "Vide",
        "notBlank": "Non vide",
        "empty": "Choisir",
        "lessThan": "Inférieur à",
        "greaterThan": "Supérieur à",
        "lessThanOrEqual": "Inférieur ou égal à",
        "greaterThanOrEqual": "Supérieur ou égal à",
        "inRange": "Entre",
        "inRangeStart": "De",
        "inRangeEnd": "À",
        "contains": "Contient",
        "notContains": "Ne contient pas",
        "startsWith": "Commence par",
        "endsWith": "Se termine par",
        "andCondition": "ET",
        "orCondition": "OU",
        "applyFilter": "Appliquer",
        "resetFilter": "Réinitialiser",
        "clearFilter": "Effacer",
        "cancelFilter": "Annuler",
        "columns": "Colonnes",
        "filters": "Filtres",
        "pinColumn": "Épingler la colonne",
        "autosizeThisColumn": "Ajuster cette colonne",
        "autosizeAllColumns": "Ajuster toutes les colonnes",
        "resetColumns": "Réinitialiser les colonnes",
        "sortAscending": "Tri croissant",
        "sortDescending": "Tri décroissant",
        "sortUnSort": "Annuler le tri",
        "page": "Page",
        "of": "sur",
        "to": "à",
        "more": "plus",
        "firstPage": "Première page",
        "previousPage": "Page précédente",
        "nextPage": "Page suivante",
        "lastPage": "Dernière page",
        "ariaFilterInput": "Filtre",
        "ariaFilterValue": "Valeur du filtre",
    },
}


def col(key: str, lang: str, *, field: str | None = None, numeric: bool = False, **options: Any) -> dict[str, Any]:
    """One column: translated heading ``t(key)``, data ``field`` (``key`` by default), text or number filter.

    >>> col("age", "fr", numeric=True)["filter"], col("tag", "fr")["headerName"]
    ('agNumberColumnFilter', 'Variable')
    """
    column: dict[str, Any] = {
        "field": field or key,
        "headerName": t(key, lang) if key else "",
        "filter": "agNumberColumnFilter" if numeric else "agTextColumnFilter",
    }
    if numeric:
        column["type"] = "rightAligned"
    return {**column, **options}


def number_format(lang: str, *, significant: int | None = None, decimals: int | None = None) -> dict[str, Any]:
    """A column's ``valueFormatter``: its numbers in ``lang`` (decimal comma in French), sorted as numbers.

    ``significant`` keeps up to that many significant digits, ``decimals`` exactly that many
    decimals (``assets/dashAgGridFunctions.js``). The grid's CSV export writes what is shown.

    >>> col("statistic", "fr", numeric=True, valueFormatter=number_format("fr", significant=4))["valueFormatter"]
    {'function': "localNumber(params.value, 'fr', 4)"}
    """
    lang = "fr" if lang == "fr" else "en"
    if decimals is not None:
        return {"function": f"localFixed(params.value, '{lang}', {int(decimals)})"}
    return {"function": f"localNumber(params.value, '{lang}', {int(significant or 4)})"}


def button_col(field: str, text: str, kind: str, **options: Any) -> dict[str, Any]:
    """A column of row buttons (``RowButton``): ``text`` on rows whose ``field`` is true, reporting ``kind``.

    >>> button_col("ackable", "Acknowledge", "alarm")["cellRendererParams"]
    {'text': 'Acknowledge', 'kind': 'alarm'}
    """
    return {
        "field": field,
        "headerName": "",
        "cellRenderer": "RowButton",
        "cellRendererParams": {"text": text, "kind": kind},
        "sortable": False,
        "filter": False,
        "suppressHeaderMenuButton": True,
        "width": 150,
        **options,
    }


def data_grid(
    id_: str,
    columns: Sequence[dict[str, Any]],
    lang: str,
    *,
    rows: Sequence[dict[str, Any]] = (),
    file_name: str | None = None,
    height: int = 420,
    no_rows: str = "",
    row_class_rules: dict[str, str] | None = None,
    **grid: Any,
) -> html.Div:
    """A sortable, filterable table with a CSV export button (``data-grid`` names the grid).

    Rows are dicts with an ``id`` (the grid keeps a row's identity across refreshes). ``no_rows``
    is the label key shown when the table is empty; ``row_class_rules`` maps a CSS class to a JS
    expression over ``params.data``.
    """
    text = dict(GRID_TEXT.get(lang, {}))
    if no_rows:
        text["noRowsToShow"] = t(no_rows, lang)
    options: dict[str, Any] = {
        "localeText": text,
        # Every cell in the DOM in column order: readable by screen readers and tests alike.
        "ensureDomOrder": True,
        "suppressColumnVirtualisation": True,
        "animateRows": False,
        "enableCellTextSelection": True,
        # What the CSV button exports: the data columns (not the buttons), as filtered and sorted.
        "defaultCsvExportParams": {
            "fileName": file_name or f"{id_}.csv",
            "columnKeys": [c["field"] for c in columns if c.get("cellRenderer") != "RowButton"],
        },
        **grid.pop("dashGridOptions", {}),
    }
    table = dag.AgGrid(
        id=id_,
        columnDefs=list(columns),
        rowData=list(rows),
        getRowId="params.data.id",
        defaultColDef={"sortable": True, "filter": True, "floatingFilter": True, "resizable": True, "minWidth": 70},
        dashGridOptions=options,
        columnSize="responsiveSizeToFit",
        rowClassRules=row_class_rules or {},
        style={"height": f"{height}px", "width": "100%"},
        className="grid",
        **grid,
    )
    data: dict[str, Any] = {"data-grid": id_}
    export = html.Button(t("export_csv", lang), className="link-btn grid-csv", id=f"{id_}-csv", **data)
    return html.Div([html.Div([export], className="grid-bar"), table], className="grid-wrap")
