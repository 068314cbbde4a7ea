// Value formatters of the dashboard's tables (dashboard/grid.py `number_format`): a number in the
// reader's language (decimal comma in French), the cell keeping its number for sorting and filtering.
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

function gmpNumberFormat(lang, options) {
  return new Intl.NumberFormat(lang === "fr" ? "fr-FR" : "en-GB", options);
}

// Up to `significant` significant digits (like Python's "{:.4g}", never in exponent form).
dagfuncs.localNumber = function (value, lang, significant) {
  if (value === null || value === undefined || value === "" || Number.isNaN(Number(value))) {
    return "—";
  }
  return gmpNumberFormat(lang, { maximumSignificantDigits: significant, useGrouping: false }).format(Number(value));
};

// Exactly `decimals` decimals.
dagfuncs.localFixed = function (value, lang, decimals) {
  if (value === null || value === undefined || value === "" || Number.isNaN(Number(value))) {
    return "—";
  }
  return gmpNumberFormat(lang, { minimumFractionDigits: decimals, maximumFractionDigits: decimals, useGrouping: false })
    .format(Number(value));
};
