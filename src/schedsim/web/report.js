// schedsim report: draws the page from the JSON data embedded in it (plain SVG, no library,
// no network).  Every chart keeps its own visible time range (zoom: wheel, buttons, drag to
// pan, double-click to reset); a selected process is highlighted in every chart and table.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("schedsim-data").textContent);
  var tooltip = document.getElementById("tooltip");
  var selected = null; // the highlighted pid, or null
  var charts = [];
  var REASONS = {
    finished: "finished", blocked: "blocked for I/O", expired: "slice expired",
    preempted: "preempted", resliced: "slice restarted", stepped: "went on after its steps",
    waited: "blocked on a resource", ended: "ended with its parent"
  };

  function fmt(value) {
    if (value === null || value === undefined) return "";
    if (typeof value !== "number") return String(value);
    if (Number.isInteger(value)) return String(value);
    var text = value.toFixed(3).replace(/0+$/, "").replace(/\.$/, "");
    return text === "-0" ? "0" : text;
  }

  function element(tag, attributes, parent) {
    var node = document.createElementNS(SVG, tag);
    for (var key in attributes) node.setAttribute(key, attributes[key]);
    if (parent) parent.appendChild(node);
    return node;
  }

  function html(tag, attributes, text, parent) {
    var node = document.createElement(tag);
    for (var key in attributes || {}) node.setAttribute(key, attributes[key]);
    if (text !== undefined && text !== null) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function colour(pid) {
    var index = data.pids.indexOf(pid);
    return data.colours[index >= 0 ? index % data.colours.length : 0];
  }

  // -- tables ---------------------------------------------------------------------------------
  function table(parent, headings, rows, options) {
    options = options || {};
    var node = html("table", {}, null, parent);
    var head = html("tr", {}, null, html("thead", {}, null, node));
    headings.forEach(function (heading, column) {
      html("th", { class: column < (options.textColumns || 1) ? "text" : "" }, heading, head);
    });
    var body = html("tbody", {}, null, node);
    rows.forEach(function (row) {
      var line = html("tr", {}, null, body);
      if (row.pid !== undefined) line.setAttribute("data-pid", row.pid);
      row.cells.forEach(function (cell, column) {
        var classes = column < (options.textColumns || 1) ? "text" : "";
        if (row.best && row.best[column]) classes += " best";
        var td = html("td", { class: classes }, null, line);
        if (column === 0 && row.pid !== undefined) {
          html("span", { class: "swatch", style: "background:" + colour(row.pid) }, null, td);
        }
        td.appendChild(document.createTextNode(cell + (row.best && row.best[column] ? " *" : "")));
      });
    });
    return node;
  }

  function workloadSection(parent) {
    var processes = data.workload;
    if (!processes) return;
    html("h2", {}, "Workload", parent);
    var attributes = ["priority", "tickets", "nice"].filter(function (key) {
      return processes.some(function (p) { return p[key] !== processes[0][key]; });
    });
    var scripted = processes.some(function (p) { return p.script; });
    var heading = scripted ? "bursts (CPU, I/O, CPU, ...) or script" : "bursts (CPU, I/O, CPU, ...)";
    table(parent, ["pid", "arrival", heading].concat(attributes),
      processes.map(function (p) {
        return {
          pid: p.pid,
          cells: [p.pid, fmt(p.arrival), p.script || p.bursts.map(fmt).join(", ")].concat(
            attributes.map(function (key) { return fmt(p[key]); }))
        };
      }), { textColumns: 1 });
  }

  function comparisonSection(parent) {
    var comparison = data.comparison;
    if (!comparison) return;
    html("h2", {}, "Comparison", parent);
    html("p", { class: "note" }, "Best value of each column marked *; ranked by " +
      comparison.rank_heading + ".", parent);
    table(parent, ["rank", "policy"].concat(comparison.metrics.map(function (m) { return m.heading; })),
      comparison.rows.map(function (row) {
        var best = [false, false].concat(row.best);
        return { cells: [String(row.rank), row.label].concat(row.values), best: best };
      }), { textColumns: 2 });
    bars(parent, comparison);
  }

  function bars(parent, comparison) {
    var groups = comparison.bars.metrics, runs = comparison.bars.series;
    var width = 640, height = 240, left = 50, bottom = 36, top = 14;
    var svg = element("svg", { viewBox: "0 0 " + width + " " + height, class: "bars",
      style: "max-width:" + width + "px" }, parent);
    var highest = 0;
    runs.forEach(function (run) { run.values.forEach(function (v) { highest = Math.max(highest, v); }); });
    highest = highest > 0 ? highest * 1.12 : 1;
    var plotWidth = width - left - 10, plotHeight = height - top - bottom;
    var groupWidth = plotWidth / groups.length, barWidth = groupWidth * 0.8 / runs.length;
    ticks(0, highest, 5).forEach(function (tick) {
      var y = top + plotHeight * (1 - tick / highest);
      element("line", { x1: left, x2: left + plotWidth, y1: y, y2: y, stroke: "#e4e4e4" }, svg);
      element("text", { x: left - 6, y: y + 4, "text-anchor": "end" }, svg).textContent = fmt(tick);
    });
    groups.forEach(function (name, group) {
      runs.forEach(function (run, index) {
        var value = run.values[group], h = plotHeight * value / highest;
        var x = left + group * groupWidth + groupWidth * 0.1 + index * barWidth;
        var bar = element("rect", { x: x, y: top + plotHeight - h, width: barWidth * 0.92,
          height: h, fill: run.colour, class: "bar", "data-label": run.label,
          "data-metric": name, "data-value": value }, svg);
        bar.addEventListener("mousemove", function (event) {
          showTip(event, run.label + "\n" + name + ": " + fmt(value));
        });
        bar.addEventListener("mouseleave", hideTip);
      });
      element("text", { x: left + (group + 0.5) * groupWidth, y: height - bottom + 16,
        "text-anchor": "middle" }, svg).textContent = name;
    });
    var legend = html("div", { class: "legend" }, null, parent);
    runs.forEach(function (run) {
      var entry = html("span", { class: "entry" }, null, legend);
      html("span", { class: "swatch", style: "background:" + run.colour }, null, entry);
      entry.appendChild(document.createTextNode(run.label));
    });
  }

  function runSection(parent, run, index) {
    var section = html("section", { id: "run-" + index, "data-run": String(index) }, null, parent);
    html("h2", {}, run.label, section);
    html("p", { class: "subtitle" }, run.description, section);
    if (run.deadlock) {
      html("p", { class: "note deadlock" }, run.deadlock, section);
    }
    if (run.disturbed) {
      html("p", { class: "note" }, "Warning: this measurement was disturbed: " + run.disturbed, section);
    }
    html("h3", {}, "Gantt chart", section);
    var rows = run.cpus > 1 ? "cpu" : "process";
    chart(section, { runs: [run], view: rows, name: "run-" + index });
    html("h3", {}, "Processes", section);
    table(section, ["pid", "arrival", "first run", "finish", "turnaround", "waiting", "response",
      "CPU", "I/O", "slices"], run.jobs.map(function (job) {
      return { pid: job.pid, cells: [job.pid, fmt(job.arrival), fmt(job.first_run), fmt(job.finish),
        fmt(job.turnaround), fmt(job.waiting), fmt(job.response), fmt(job.cpu_time),
        fmt(job.io_time), fmt(job.slices)] };
    }));
    html("h3", {}, "Summary", section);
    var s = run.summary;
    table(section, ["metric", "mean", "median", "p95", "max"], ["turnaround", "waiting", "response"].map(
      function (key) {
        return { cells: [key, fmt(s["avg_" + key]), fmt(s["median_" + key]), fmt(s["p95_" + key]),
          fmt(s["max_" + key])] };
      }).concat([
      { cells: ["makespan", fmt(s.makespan), "", "", ""] },
      { cells: ["throughput", fmt(s.throughput), "", "", ""] },
      { cells: ["CPU utilisation", (100 * (s.cpu_utilisation || 0)).toFixed(1) + "%", "", "", ""] },
      { cells: ["context switches", fmt(s.context_switches), "", "", ""] }
    ]));
  }

  function overlaySection(parent) {
    var overlay = data.overlay;
    if (!overlay) return;
    html("h2", {}, "Simulated and measured", parent);
    html("p", { class: "note" }, "Each process's simulated slices (light, full height) with its " +
      "measured slices over them (dark, thin).", parent);
    chart(parent, { runs: [data.runs[overlay.simulated], data.runs[overlay.measured]],
      view: "process", overlay: true, name: "overlay" });
  }

  // -- Gantt charts ---------------------------------------------------------------------------
  function chart(parent, spec) {
    var controls = html("div", { class: "controls" }, null, parent);
    var box = html("div", { class: "chart", "data-chart": spec.name }, null, parent);
    var legend = html("div", { class: "legend" }, null, parent);
    var state = { spec: spec, box: box, legend: legend, view: spec.view };
    var range = fullRange(spec.runs);
    state.low = range[0]; state.high = range[1]; state.range = range;
    function button(label, action, title) {
      var node = html("button", { type: "button", title: title || label }, label, controls);
      node.addEventListener("click", action);
      return node;
    }
    button("zoom in", function () { zoom(state, 0.5, (state.low + state.high) / 2); });
    button("zoom out", function () { zoom(state, 2, (state.low + state.high) / 2); });
    button("reset", function () { state.low = range[0]; state.high = range[1]; draw(state); });
    if (!spec.overlay && spec.runs[0].cpus > 1) {
      var byProcess = button("by process", function () { state.view = "process"; draw(state); });
      var byCpu = button("by CPU", function () { state.view = "cpu"; draw(state); });
      state.viewButtons = [byProcess, byCpu];
    }
    html("span", { class: "note" }, " wheel: zoom · drag: pan · double-click: reset · click a " +
      "process: highlight it", controls);
    drawLegend(state);
    charts.push(state);
    draw(state);
    box.addEventListener("wheel", function (event) {
      event.preventDefault();
      zoom(state, event.deltaY < 0 ? 0.8 : 1.25, timeAt(state, event.clientX));
    }, { passive: false });
    box.addEventListener("dblclick", function () {
      state.low = range[0]; state.high = range[1]; draw(state);
    });
    box.addEventListener("mousedown", function (event) {
      var startX = event.clientX, low = state.low, high = state.high, moved = false;
      function move(e) {
        var shift = (e.clientX - startX) / state.scale;
        if (Math.abs(e.clientX - startX) > 3) moved = true;
        if (moved) { state.low = low - shift; state.high = high - shift; draw(state); }
      }
      function up() {
        window.removeEventListener("mousemove", move);
        window.removeEventListener("mouseup", up);
        if (moved) state.dragged = true;
      }
      window.addEventListener("mousemove", move);
      window.addEventListener("mouseup", up);
    });
  }

  function fullRange(runs) {
    var low = 0, high = 0;
    runs.forEach(function (run) {
      run.slices.forEach(function (s) { low = Math.min(low, s[2]); high = Math.max(high, s[4]); });
      run.io.forEach(function (io) { high = Math.max(high, io[2]); });
      run.jobs.forEach(function (job) { if (job.finish !== null) high = Math.max(high, job.finish); });
    });
    return [low, high > low ? high : low + 1];
  }

  function zoom(state, factor, centre) {
    var span = (state.high - state.low) * factor;
    var full = state.range[1] - state.range[0];
    span = Math.max(Math.min(span, full * 4), full / 100000);
    var share = (centre - state.low) / (state.high - state.low);
    state.low = centre - share * span;
    state.high = state.low + span;
    draw(state);
  }

  function timeAt(state, clientX) {
    var bounds = state.box.getBoundingClientRect();
    var x = (clientX - bounds.left) * (state.width / bounds.width);
    return state.low + (x - state.left) / state.scale;
  }

  function rowsOf(state) {
    var runs = state.spec.runs;
    if (state.view === "cpu") {
      var cpus = runs[0].cpus, rows = [];
      for (var c = 0; c < cpus; c++) rows.push({ label: "CPU " + c, cpu: c });
      return rows;
    }
    return data.pids.map(function (pid, job) { return { label: pid, job: job, pid: pid }; });
  }

  function draw(state) {
    var rows = rowsOf(state), spec = state.spec;
    var rowHeight = 24, left = 96, right = 16, top = 8, bottom = 30;
    var width = Math.max(480, state.box.clientWidth || 900);
    var height = top + rows.length * rowHeight + bottom;
    state.width = width; state.left = left;
    state.scale = (width - left - right) / (state.high - state.low);
    var x = function (t) { return left + (t - state.low) * state.scale; };
    if (state.viewButtons) {
      state.viewButtons[0].className = state.view === "process" ? "on" : "";
      state.viewButtons[1].className = state.view === "cpu" ? "on" : "";
    }
    state.box.textContent = "";
    var svg = element("svg", { viewBox: "0 0 " + width + " " + height, height: height,
      "data-view": state.view, "data-low": state.low, "data-high": state.high }, state.box);
    var defs = element("defs", {}, svg);
    var clipId = "clip-" + spec.name;
    element("rect", { x: left, y: 0, width: width - left - right, height: height },
      element("clipPath", { id: clipId }, defs));
    var pattern = element("pattern", { id: "hatch-" + spec.name, width: 6, height: 6,
      patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" }, defs);
    element("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#666", "stroke-width": 1.2 }, pattern);
    var grid = element("g", { class: "axis" }, svg);
    ticks(state.low, state.high, 10).forEach(function (tick) {
      element("line", { x1: x(tick), x2: x(tick), y1: top, y2: height - bottom + 4 }, grid);
      element("text", { x: x(tick), y: height - bottom + 17, "text-anchor": "middle" },
        grid).textContent = fmt(tick);
    });
    element("text", { x: width - right, y: height - 2, "text-anchor": "end" }, grid).textContent =
      "time" + (data.unit ? " (" + data.unit + ")" : "");
    rows.forEach(function (row, index) {
      var label = element("text", { x: left - 8, y: top + index * rowHeight + rowHeight / 2 + 4,
        "text-anchor": "end", class: "rowlabel", "data-pid": row.pid || "" }, svg);
      label.textContent = row.label;
      if (row.pid !== undefined) {
        label.addEventListener("click", function () { select(row.pid); });
      }
    });
    var plot = element("g", { "clip-path": "url(#" + clipId + ")" }, svg);
    spec.runs.forEach(function (run, runIndex) {
      var layer = spec.overlay ? (runIndex === 0 ? "simulated" : "measured") : "single";
      drawRun(plot, state, run, rows, x, top, rowHeight, layer);
    });
    applySelection();
  }

  function drawRun(plot, state, run, rows, x, top, rowHeight, layer) {
    var byCpu = state.view === "cpu";
    var hatch = "url(#hatch-" + state.spec.name + ")";
    var full = rowHeight * 0.72, thin = rowHeight * 0.32;
    var barHeight = layer === "measured" ? thin : full;
    function rowOf(cpu, job) { return byCpu ? cpu : job; }
    if (!byCpu && layer !== "measured") {
      run.io.forEach(function (io) {
        var y = top + io[0] * rowHeight + (rowHeight - full * 0.7) / 2;
        element("rect", { x: x(io[1]), y: y, width: Math.max(0.5, x(io[2]) - x(io[1])),
          height: full * 0.7, fill: hatch, stroke: colour(data.pids[io[0]]), "stroke-width": 0.6,
          class: "io", "data-pid": data.pids[io[0]] }, plot);
      });
      var lastTime = state.range[1];
      (run.blocked || []).forEach(function (wait) {
        var job = wait[0], from = wait[1], to = wait[2] === null ? lastTime : wait[2];
        var y = top + job * rowHeight + (rowHeight - full * 0.5) / 2;
        var rect = element("rect", { x: x(from), y: y, width: Math.max(0.5, x(to) - x(from)),
          height: full * 0.5, fill: "none", stroke: "#b00", "stroke-width": 1,
          "stroke-dasharray": "3,2", class: "blocked", "data-pid": data.pids[job],
          "data-start": from, "data-end": wait[2] === null ? "" : to }, plot);
        rect.addEventListener("mousemove", function (event) {
          showTip(event, data.pids[job] + "\nblocked on " + wait[3] + ": " + fmt(from) + " – " +
            (wait[2] === null ? "never released" : fmt(to)));
        });
        rect.addEventListener("mouseleave", hideTip);
      });
      run.jobs.forEach(function (job, index) {
        var cx = x(job.arrival), y = top + index * rowHeight + rowHeight - 2;
        element("path", { d: "M" + (cx - 4) + "," + y + "L" + (cx + 4) + "," + y + "L" + cx + "," +
          (y - 6) + "Z", fill: colour(job.pid), stroke: "#000", "stroke-width": 0.5,
          class: "marker", "data-pid": job.pid }, plot);
      });
    }
    run.slices.forEach(function (s) {
      var cpu = s[0], job = s[1], dispatched = s[2], start = s[3], end = s[4];
      var level = s[5], reason = s[6], pid = data.pids[job];
      var row = rowOf(cpu, job);
      var y = top + row * rowHeight + (rowHeight - barHeight) / 2;
      if (start > dispatched && layer !== "simulated") {
        element("rect", { x: x(dispatched), y: y, width: Math.max(0.5, x(start) - x(dispatched)),
          height: barHeight, fill: "#333", class: "switch", "data-pid": pid }, plot);
      }
      var fill = colour(pid);
      var attributes = { x: x(start), y: y, width: Math.max(1, x(end) - x(start)), height: barHeight,
        fill: fill, stroke: "#fff", "stroke-width": 0.6, class: "slice", "data-run": run.index,
        "data-layer": layer, "data-pid": pid, "data-cpu": cpu, "data-start": start,
        "data-end": end, "data-level": level, "data-reason": reason };
      if (layer === "simulated") attributes["fill-opacity"] = 0.35;
      if (level >= 0 && layer === "single") {
        attributes["fill-opacity"] = 1 - 0.55 * level / Math.max(1, run.deepest);
      }
      var rect = element("rect", attributes, plot);
      rect.addEventListener("mousemove", function (event) {
        showTip(event, tipText(run, pid, cpu, dispatched, start, end, level, reason));
      });
      rect.addEventListener("mouseleave", hideTip);
      rect.addEventListener("click", function () {
        if (state.dragged) { state.dragged = false; return; }
        select(pid);
      });
    });
  }

  function tipText(run, pid, cpu, dispatched, start, end, level, reason) {
    var lines = [pid + (run.kind === "measured" ? " (measured)" : ""),
      "CPU " + cpu + ": " + fmt(start) + " – " + fmt(end) + " (ran " + fmt(end - start) + ")"];
    if (start > dispatched) {
      lines.push((run.kind === "measured" ? "dispatch latency " : "context switch from ") +
        fmt(dispatched));
    }
    lines.push("ended: " + (REASONS[reason] || reason));
    if (level >= 0) lines.push("level: L" + level);
    return lines.join("\n");
  }

  function drawLegend(state) {
    state.legend.textContent = "";
    data.pids.forEach(function (pid) {
      var entry = html("span", { class: "entry", "data-pid": pid }, null, state.legend);
      html("span", { class: "swatch", style: "background:" + colour(pid) }, null, entry);
      entry.appendChild(document.createTextNode(pid));
      entry.addEventListener("click", function () { select(pid); });
    });
  }

  function select(pid) {
    selected = selected === pid ? null : pid;
    applySelection();
  }

  function applySelection() {
    var nodes = document.querySelectorAll(".slice, .io, .blocked, .marker, .legend .entry[data-pid]");
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i], pid = node.getAttribute("data-pid");
      node.classList.toggle("dim", selected !== null && pid !== selected);
    }
    var labels = document.querySelectorAll(".rowlabel");
    for (var j = 0; j < labels.length; j++) {
      labels[j].classList.toggle("selected", selected !== null &&
        labels[j].getAttribute("data-pid") === selected);
    }
    var rows = document.querySelectorAll("tr[data-pid]");
    for (var k = 0; k < rows.length; k++) {
      rows[k].classList.toggle("highlight", rows[k].getAttribute("data-pid") === selected);
    }
    document.body.setAttribute("data-selected", selected === null ? "" : selected);
  }

  function showTip(event, text) {
    tooltip.textContent = text;
    tooltip.style.display = "block";
    tooltip.style.left = (event.clientX + 14) + "px";
    tooltip.style.top = (event.clientY + 12) + "px";
  }

  function hideTip() { tooltip.style.display = "none"; }

  function ticks(low, high, count) {
    var span = high - low;
    if (!(span > 0)) return [low];
    var step = Math.pow(10, Math.floor(Math.log10(span / count)));
    var error = count / (span / step);
    if (error <= 0.15) step *= 10; else if (error <= 0.35) step *= 5; else if (error <= 0.75) step *= 2;
    var out = [];
    for (var t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) {
      out.push(Math.round(t / step) * step);
    }
    return out;
  }

  // -- the page ---------------------------------------------------------------------------------
  var main = document.getElementById("report");
  workloadSection(main);
  comparisonSection(main);
  overlaySection(main);
  data.runs.forEach(function (run, index) { runSection(main, run, index); });
  window.addEventListener("resize", function () { charts.forEach(draw); });
  document.body.setAttribute("data-ready", "yes");
})();
