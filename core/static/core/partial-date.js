// A date typed as 2024-07 (core.forms.PartialDateField) sets the precision list beside it to
// "month" as one types, so the form shows what will be saved. The server decides the same way.
(function () {
  "use strict";
  var PATTERNS = [
    [/^\d{4}-\d{1,2}-\d{1,2}$|^\d{4}年\d{1,2}月\d{1,2}日$/, "day"],
    [/^\d{4}-\d{1,2}$|^\d{4}年\d{1,2}月$/, "month"],
    [/^\d{4}-?[Qq][1-4]$|^\d{4}年?第?[1-4一二三四]季度$/, "quarter"],
    [/^\d{4}年?$/, "year"],
  ];

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[data-partial-date]") || !input.form) return;
    var select = input.form.elements[input.name + "_precision"];
    if (!select) return;
    var text = input.value.trim();
    for (var i = 0; i < PATTERNS.length; i += 1) {
      if (PATTERNS[i][0].test(text)) {
        // A full date leaves a chosen coarser precision alone: 2024-07-01 may well mean "July".
        if (PATTERNS[i][1] !== "day") select.value = PATTERNS[i][1];
        return;
      }
    }
  });
})();
