// The statistics dashboard's charts: one ECharts instance per [data-chart] container, drawn from the JSON that
// the page embeds with json_script (#dashboard-data). No inline script and no HTML tooltips (their markup
// carries style attributes a strict CSP refuses): tooltips are drawn on the canvas (renderMode "richText").
(function () {
  "use strict";

  var PALETTE = ["#b71c1c", "#c8a063", "#2f4554", "#61a0a8", "#d48265", "#749f83", "#ca8622", "#6e7074", "#91c7ae", "#bda29a"];
  var FONT = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif';

  function narrow() { return window.matchMedia("(max-width: 599px)").matches; }

  function shorten(text, n) {
    text = String(text);
    return text.length > n ? text.slice(0, n - 1) + "…" : text;
  }

  function unit(series) { return series.percent ? "%" : ""; }

  function base(spec) {
    return {
      color: PALETTE,
      textStyle: { fontFamily: FONT },
      animationDuration: 500,
      tooltip: { renderMode: "richText", confine: true, trigger: "item" },
    };
  }

  function legend(spec) {
    return { type: "scroll", bottom: 0, icon: "roundRect", itemWidth: 12, itemHeight: 8, textStyle: { fontSize: 12 } };
  }

  function donut(spec) {
    var values = spec.series[0].data;
    var data = [];
    spec.labels.forEach(function (label, i) { if (values[i]) data.push({ name: label, value: values[i] }); });
    var total = data.reduce(function (s, d) { return s + d.value; }, 0);
    var option = base(spec);
    option.legend = legend(spec);
    option.title = {
      text: String(total), subtext: "合计", left: "center", top: narrow() ? "33%" : "35%",
      textStyle: { fontSize: 22, color: "#b71c1c", fontWeight: "bold" }, subtextStyle: { fontSize: 12, color: "#666" },
      itemGap: 2,
    };
    option.series = [{
      type: "pie", radius: ["45%", "68%"], center: ["50%", "45%"], avoidLabelOverlap: true,
      itemStyle: { borderColor: "#fff", borderWidth: 2 },
      label: { show: !narrow(), formatter: "{b}\n{d}%", fontSize: 11 },
      labelLine: { length: 8, length2: 6 },
      data: data,
    }];
    if (!data.length) option.title = { text: "暂无数据", left: "center", top: "middle", textStyle: { color: "#999", fontSize: 14 } };
    return option;
  }

  function bars(spec, horizontal) {
    var option = base(spec);
    var many = spec.labels.length > 6;
    var category = {
      type: "category", data: spec.labels,
      axisTick: { alignWithLabel: true },
      axisLine: { lineStyle: { color: "#999" } },
      axisLabel: horizontal
        ? { formatter: function (v) { return shorten(v, narrow() ? 6 : 10); }, fontSize: 11 }
        : { interval: 0, rotate: many ? 35 : 0, formatter: function (v) { return shorten(v, many ? 7 : 10); }, fontSize: 11 },
      inverse: horizontal,
    };
    var percent = spec.series.every(function (s) { return s.percent; });
    var value = {
      type: "value", minInterval: percent ? 0 : 1, max: percent ? 100 : null,
      splitLine: { lineStyle: { type: "dashed", color: "#e6e6e6" } },
      axisLabel: { formatter: percent ? "{value}%" : "{value}", fontSize: 11 },
    };
    option.tooltip.trigger = "axis";
    option.tooltip.axisPointer = { type: "shadow" };
    option.grid = { left: 8, right: 24, top: 16, bottom: spec.series.length > 1 ? 34 : 8, containLabel: true };
    if (spec.series.length > 1) option.legend = legend(spec);
    option.xAxis = horizontal ? value : category;
    option.yAxis = horizontal ? category : value;
    option.series = spec.series.map(function (s, i) {
      return {
        name: s.name, type: "bar", data: s.data, barMaxWidth: 22, barGap: "20%",
        itemStyle: { borderRadius: horizontal ? [0, 3, 3, 0] : [3, 3, 0, 0] },
        label: { show: horizontal || spec.labels.length <= 16, position: horizontal ? "right" : "top", fontSize: 10, color: "#555",
                 formatter: function (p) { return p.value === null || p.value === undefined ? "" : p.value + unit(s); } },
      };
    });
    return option;
  }

  function rate(spec) {
    var option = bars(spec, true);
    option.series[0].barMaxWidth = 16;
    option.series[0].showBackground = true;
    option.series[0].backgroundStyle = { color: "#f5f1ea", borderRadius: [0, 3, 3, 0] };
    return option;
  }

  function line(spec) {
    var option = base(spec);
    option.tooltip.trigger = "axis";
    option.legend = legend(spec);
    option.grid = { left: 8, right: 16, top: 20, bottom: 34, containLabel: true };
    option.xAxis = { type: "category", data: spec.labels, boundaryGap: false, axisLabel: { fontSize: 11 }, axisLine: { lineStyle: { color: "#999" } } };
    option.yAxis = { type: "value", minInterval: 1, splitLine: { lineStyle: { type: "dashed", color: "#e6e6e6" } } };
    option.series = spec.series.map(function (s) {
      return { name: s.name, type: "line", smooth: true, symbolSize: 6, data: s.data, areaStyle: { opacity: 0.12 } };
    });
    return option;
  }

  function funnel(spec) {
    var option = base(spec);
    var values = spec.series[0].data;
    option.series = [{
      type: "funnel", left: "8%", right: "8%", top: 10, bottom: 10, minSize: "18%", sort: "descending", gap: 2,
      label: { position: "inside", formatter: "{b}  {c}", fontSize: 12, color: "#fff" },
      itemStyle: { borderColor: "#fff", borderWidth: 1 },
      data: spec.labels.map(function (label, i) { return { name: label, value: values[i] || 0 }; }),
    }];
    return option;
  }

  var BUILDERS = {
    donut: donut, funnel: funnel, line: line, rate: rate,
    bar: function (s) { return bars(s, false); },
    hbar: function (s) { return bars(s, true); },
  };

  function height(spec) {
    if (spec.type !== "hbar" && spec.type !== "rate") return null;
    var per = spec.series.length > 1 ? 34 : 26;
    return Math.max(220, spec.labels.length * per + 60);
  }

  function draw() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof window.echarts === "undefined") return;
    var specs = JSON.parse(source.textContent);
    var charts = [];
    specs.forEach(function (spec) {
      var el = document.querySelector('[data-chart="' + spec.key + '"]');
      // A column chart of many categories cannot be read on a phone: draw it as horizontal bars there.
      if (spec.type === "bar" && narrow() && spec.labels.length > 6) spec.type = "hbar";
      var build = BUILDERS[spec.type];
      if (!el || !build) return;
      var h = height(spec);
      if (h) el.style.height = h + "px";  // CSSOM, not a style attribute: allowed by the CSP
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(build(spec));
      charts.push(chart);
      if (window.ResizeObserver) new ResizeObserver(function () { chart.resize(); }).observe(el);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
