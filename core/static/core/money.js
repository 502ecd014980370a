// Keeps the 万元 / 亿元 reading beside each money box (core.forms.MoneyInput) in step with what is typed.
// Decimal arithmetic on the digits, never floating point: 0.1 + 0.2 must not show up in an amount.
(function () {
  "use strict";
  var UNITS = { "": 0, "元": 0, "万": 4, "万元": 4, "亿": 8, "亿元": 8 };
  var PATTERN = /^([0-9][0-9,]*(?:\.[0-9]+)?)\s*(亿元|万元|亿|万|元)?$/;

  // "2,000,000,000.00" with unit "" -> {digits: "200000000000", scale: 2} (value = digits / 10^scale)
  function parse(text) {
    // Full-width digits, comma, full stop and space (a Chinese input method's) read as ASCII ones.
    var ascii = text.replace(/[\uff10-\uff19]/g, function (digit) {
      return String.fromCharCode(digit.charCodeAt(0) - 0xfee0);
    }).replace(/，/g, ",").replace(/．/g, ".").replace(/\u3000/g, " ");
    var match = PATTERN.exec(ascii.trim().replace(/^[¥￥]/, "").trim());
    if (!match) return null;
    var number = match[1].replace(/,/g, "");
    var point = number.indexOf(".");
    var digits = point < 0 ? number : number.slice(0, point) + number.slice(point + 1);
    var scale = point < 0 ? 0 : number.length - point - 1;
    scale -= UNITS[match[2] || ""];
    while (scale < 0) { digits += "0"; scale += 1; }
    return { digits: digits.replace(/^0+(?=\d)/, ""), scale: scale };
  }

  // value / 10^shift, rounded half up to two places, with thousands separators; "≈ " when rounded.
  function show(amount, shift) {
    var scale = amount.scale + shift;
    var digits = amount.digits;
    while (digits.length <= scale) digits = "0" + digits;
    var whole = digits.slice(0, digits.length - scale);
    var fraction = digits.slice(digits.length - scale);
    var kept = (fraction + "00").slice(0, 2);
    var dropped = fraction.slice(2);
    var rounded = /[1-9]/.test(dropped);
    if (dropped && dropped.charAt(0) >= "5") {
      var cents = (BigInt(whole + kept) + 1n).toString().padStart(3, "0");
      whole = cents.slice(0, -2);
      kept = cents.slice(-2);
    }
    whole = whole.replace(/^0+(?=\d)/, "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (rounded ? "≈ " : "") + whole + "." + kept;
  }

  function update(input) {
    var output = input.parentNode.querySelector("[data-money-units]");
    if (!output) return;
    var amount = parse(input.value);
    output.textContent = amount ? show(amount, 8) + " 亿元 · " + show(amount, 4) + " 万元" : "";
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("input[data-money]")) update(event.target);
  });
})();
