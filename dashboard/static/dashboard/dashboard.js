/*
 * The investment dashboard: reads /api/v1/projects/summary/ once per chart and draws each answer
 * as a bar chart (SVG, drawn here: no chart library) and as a table of the same numbers.
 *
 * Amounts arrive as decimal strings in yuan ("2000000000.00"). They are formatted from the string
 * with integer arithmetic (BigInt), so what the tables print is exactly what the API said; only
 * the bar lengths go through floating point.
 *
 * For browser tests: each chart is <svg data-chart="region|industry|stage">, its table
 * <table data-table="...">, a row <tr data-key="...">. While loading, <body data-charts-ready="0"
 * data-charts-state="loading">; once every answer is in, data-charts-ready is the number of charts
 * drawn ("3") and data-charts-state "ready" (or "error" when a request failed).
 */
(function () {
  "use strict";

  const CHARTS = [
    { name: "region", groupBy: "region" },
    { name: "industry", groupBy: "industry" },
    { name: "stage", groupBy: "status" },
  ];
  const LAYOUT = { width: 720, label: 220, value: 120, row: 32, bar: 20, pad: 8 };

  let config = null;
  let generation = 0;

  // --- money, from decimal strings -------------------------------------------------------------

  /* Hundredths of a yuan as a BigInt, rounding half up past two places; null when not a decimal. */
  function cents(amount) {
    const match = /^(\d+)(?:\.(\d*))?$/.exec(String(amount).trim());
    if (!match) {
      return null;
    }
    const fraction = (match[2] || "").padEnd(3, "0");
    let value = BigInt(match[1]) * 100n + BigInt(fraction.slice(0, 2));
    if (Number(fraction[2]) >= 5) {
      value += 1n;
    }
    return value;
  }

  function group(digits) {
    return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function withTwoPlaces(hundredths) {
    const whole = hundredths / 100n;
    const rest = (hundredths % 100n).toString().padStart(2, "0");
    return group(whole.toString()) + "." + rest;
  }

  /* "2000000000.00" → "2,000,000,000.00" */
  function formatYuan(amount) {
    const value = cents(amount);
    return value === null ? String(amount) : withTwoPlaces(value);
  }

  /* "2000000000.00" → "20.00" (亿元: 100 million yuan), rounded half up. */
  function formatYi(amount) {
    const value = cents(amount);
    return value === null ? String(amount) : withTwoPlaces((value + 50000000n) / 100000000n);
  }

  function interpolate(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (whole, name) {
      return name in values ? String(values[name]) : whole;
    });
  }

  // --- queries ---------------------------------------------------------------------------------

  /* The list filters the form stands for, in a fixed order: region, then the year as a date range. */
  function filters(form) {
    const params = new URLSearchParams();
    const region = form.elements.region ? form.elements.region.value : "";
    const year = form.elements.year ? form.elements.year.value : "";
    if (region) {
      params.append("region", region);
    }
    if (/^\d{4}$/.test(year)) {
      params.append("milestone_after", year + "-01-01");
      params.append("milestone_before", year + "-12-31");
    }
    return params;
  }

  function summaryUrl(groupBy, filterParams) {
    const params = new URLSearchParams([["group_by", groupBy]]);
    filterParams.forEach(function (value, key) {
      params.append(key, value);
    });
    return config.summaryUrl + "?" + params.toString();
  }

  async function fetchSummary(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    let body = null;
    try {
      body = await response.json();
    } catch (ignored) {
      body = null;
    }
    if (!response.ok) {
      const message = body && body.error && body.error.message ? body.error.message : String(response.status);
      throw new Error(message);
    }
    return body;
  }

  // --- rows and labels -------------------------------------------------------------------------

  function rowsFor(chart, answer, region) {
    const labels = config.labels;
    if (chart.name === "stage") {
      const byKey = new Map(answer.rows.map(function (row) { return [row.key, row]; }));
      const order = config.funnel.concat(config.exits);
      return order.filter(function (key) { return byKey.has(key); }).map(function (key) {
        const row = byKey.get(key);
        return Object.assign({}, row, {
          name: labels.status[key] || row.label,
          inFunnel: config.funnel.indexOf(key) !== -1,
        });
      });
    }
    return answer.rows.map(function (row) {
      let name;
      if (chart.name === "region") {
        name = labels.region[row.key] || row.label;
        if (row.key === region && answer.parent && answer.parent.code === region) {
          name = interpolate(config.text.directly, { name: labels.region[row.key] || answer.parent.name });
        }
      } else {
        name = row.key === null ? config.text.noIndustry : labels.industry[row.key] || row.label;
      }
      return Object.assign({}, row, { name: name, inFunnel: true });
    });
  }

  // --- drawing ---------------------------------------------------------------------------------

  function svgElement(svg, tag, attributes, text) {
    // The namespace comes from the <svg> the HTML parser made, so no namespace URL is spelled out here.
    const element = document.createElementNS(svg.namespaceURI, tag);
    Object.keys(attributes).forEach(function (name) {
      element.setAttribute(name, String(attributes[name]));
    });
    if (text !== undefined) {
      element.textContent = text;
    }
    return element;
  }

  function fitText(node, width) {
    if (typeof node.getComputedTextLength !== "function") {
      return;
    }
    const full = node.textContent;
    let length = full.length;
    while (length > 1 && node.getComputedTextLength() > width) {
      length -= 1;
      node.textContent = full.slice(0, length) + "…";
    }
  }

  function drawBars(svg, chart, rows) {
    const bars = rows.filter(function (row) { return row.inFunnel; });
    const area = LAYOUT.width - LAYOUT.label - LAYOUT.value - 2 * LAYOUT.pad;
    const height = Math.max(bars.length, 1) * LAYOUT.row + 2 * LAYOUT.pad;
    // Only the bar lengths go through floating point; the labels print the strings.
    const max = bars.reduce(function (top, row) { return Math.max(top, Number(row.total_investment) || 0); }, 0);
    svg.replaceChildren();
    svg.setAttribute("viewBox", "0 0 " + LAYOUT.width + " " + height);
    svg.setAttribute("data-rows", String(bars.length));
    svg.appendChild(svgElement(svg, "title", {}, interpolate(config.text.chartTitle, {
      chart: document.getElementById("chart-" + chart.name + "-title").textContent,
    })));
    bars.forEach(function (row, index) {
      const y = LAYOUT.pad + index * LAYOUT.row;
      const middle = y + LAYOUT.row / 2;
      const amount = Number(row.total_investment) || 0;
      let width = max > 0 ? (amount / max) * area : 0;
      if (amount > 0) {
        width = Math.max(width, 2);
      }
      // The stage chart is drawn as a funnel: bars centred on one axis.
      const x = LAYOUT.label + LAYOUT.pad + (chart.name === "stage" ? (area - width) / 2 : 0);
      const value = formatYi(row.total_investment) + " 亿元" + (row.includes_bounds ? "*" : "");
      const item = svgElement(svg, "g", { class: "bar-row", "data-key": row.key === null ? "" : row.key });
      const label = svgElement(svg, "text", {
        class: "bar-label", x: LAYOUT.label, y: middle, "text-anchor": "end", "dominant-baseline": "central",
      }, row.name);
      const rect = svgElement(svg, "rect", {
        class: "bar bar-" + chart.name, x: x.toFixed(1), y: (middle - LAYOUT.bar / 2).toFixed(1),
        width: width.toFixed(1), height: LAYOUT.bar, rx: 2, "data-value": row.total_investment,
      });
      rect.appendChild(svgElement(svg, "title", {}, row.name + ": " + value + " (" + row.project_count + ")"));
      const text = svgElement(svg, "text", {
        class: "bar-value", x: LAYOUT.width - LAYOUT.pad, y: middle, "text-anchor": "end", "dominant-baseline": "central",
      }, value);
      item.append(label, rect, text);
      svg.appendChild(item);
      fitText(label, LAYOUT.label - LAYOUT.pad);
    });
  }

  function cell(tag, text, className) {
    const element = document.createElement(tag);
    element.textContent = text;
    if (className) {
      element.className = className;
    }
    return element;
  }

  function tableRow(row, header) {
    const tr = document.createElement("tr");
    tr.dataset.key = row.key === null ? "" : row.key;
    if (!row.inFunnel) {
      tr.className = "exit";
    }
    const name = cell("th", row.name);
    name.scope = "row";
    const yi = cell("td", formatYi(row.total_investment) + (row.includes_bounds ? "*" : ""), "number");
    yi.dataset.field = "total_investment_yi";
    const yuan = cell("td", formatYuan(row.total_investment), "number");
    yuan.dataset.field = "total_investment";
    yuan.dataset.value = row.total_investment;
    const count = cell("td", String(row.project_count), "number");
    count.dataset.field = "project_count";
    const without = cell("td", String(row.projects_without_amount), "number");
    without.dataset.field = "projects_without_amount";
    tr.append(name, count, yi, yuan, without);
    if (header) {
      tr.className = "totals";
    }
    return tr;
  }

  function drawTable(table, rows, totals) {
    table.tBodies[0].replaceChildren(...rows.map(function (row) { return tableRow(row, false); }));
    const total = Object.assign({}, totals, { name: config.text.total, inFunnel: true, key: null });
    const foot = tableRow(total, true);
    foot.dataset.key = "total";
    table.tFoot.replaceChildren(foot);
  }

  function showError(section, message) {
    section.dataset.state = "error";
    const svg = section.querySelector("svg[data-chart]");
    svg.replaceChildren();
    svg.setAttribute("viewBox", "0 0 " + LAYOUT.width + " 40");
    svg.appendChild(svgElement(svg, "text", { class: "bar-error", x: LAYOUT.pad, y: 24 }, message));
    section.querySelector("table tbody").replaceChildren();
    section.querySelector("table tfoot").replaceChildren();
  }

  // --- the page --------------------------------------------------------------------------------

  async function update(form, pushUrl) {
    const current = ++generation;
    const body = document.body;
    const status = document.getElementById("dashboard-status");
    const filterParams = filters(form);
    body.dataset.chartsReady = "0";
    body.dataset.chartsState = "loading";
    body.dataset.chartsQuery = filterParams.toString();
    status.textContent = config.text.loading;
    if (pushUrl) {
      const page = new URLSearchParams();
      new FormData(form).forEach(function (value, key) {
        if (value) {
          page.append(key, value);
        }
      });
      const query = page.toString();
      window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
    }

    const region = filterParams.get("region");
    const results = await Promise.allSettled(CHARTS.map(function (chart) {
      return fetchSummary(summaryUrl(chart.groupBy, filterParams));
    }));
    if (current !== generation) {
      return; // a newer choice of filters is on its way
    }
    let drawn = 0;
    const errors = [];
    CHARTS.forEach(function (chart, index) {
      const section = document.querySelector('section[data-section="' + chart.name + '"]');
      const result = results[index];
      if (result.status === "rejected") {
        const message = interpolate(config.text.error, { status: result.reason.message });
        errors.push(message);
        showError(section, message);
        return;
      }
      const rows = rowsFor(chart, result.value, region);
      drawBars(section.querySelector("svg[data-chart]"), chart, rows);
      drawTable(section.querySelector("table[data-table]"), rows, result.value.totals);
      section.dataset.state = "ready";
      drawn += 1;
    });
    const empty = results.every(function (result) {
      return result.status === "fulfilled" && result.value.totals.project_count === 0;
    });
    status.textContent = errors.length ? errors[0] : empty ? config.text.empty : "";
    body.dataset.chartsState = errors.length ? "error" : "ready";
    body.dataset.chartsReady = String(drawn);
  }

  function start() {
    config = JSON.parse(document.getElementById("dashboard-config").textContent);
    const form = document.getElementById("dashboard-filters");
    form.addEventListener("change", function () { update(form, true); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      update(form, true);
    });
    document.documentElement.classList.add("js");
    update(form, false);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
