/* Lightwing coordinator dashboard: live queue, request detail, reassign, stats, ledger. */
(function () {
  "use strict";
  var LW = window.LW, t = LW.t, el = LW.el;
  var KEY_STORE = "lw.apiKey";
  var $ = function (id) { return document.getElementById(id); };
  var loginSection = $("login"), board = $("board");
  var statusBox = $("dash-status"), liveState = $("live-state");
  var queueBody = $("queue-body"), queueEmpty = $("queue-empty"), moreButton = $("queue-more");
  var detail = $("detail");
  var knownIds = null, freshIds = {}, nextCursor = null, currentId = null, statsAt = 0;
  var areas = {};
  var streamAbort = null, refreshTimer = null, retryTimer = null;

  function key() { try { return sessionStorage.getItem(KEY_STORE) || ""; } catch (e) { return ""; } }
  function setKey(value) {
    try { if (value) { sessionStorage.setItem(KEY_STORE, value); } else { sessionStorage.removeItem(KEY_STORE); } } catch (e) { /* not kept */ }
  }
  function say(text) { statusBox.textContent = text || ""; }

  /** An area's name in the page language ("Area 14" only while the areas are not loaded). */
  function areaName(id) {
    var area = areas[String(id)];
    if (!area) { return t("web.stat.area_n", { id: id }); }
    return (LW.lang === "zh" ? area.name_zh || area.name_en : area.name_en || area.name_zh) || t("web.stat.area_n", { id: id });
  }

  function label(kind, value) {
    if (value === null || value === undefined || value === "" || value === "none") { return t("web.dash.none"); }
    if (kind === "area") { return areaName(value); }
    if (kind === "rating") { return t("web.stat.stars", { n: value }); }
    var k = "web." + kind + "." + value;
    var text = t(k);
    return text === k ? String(value) : text;
  }

  /** Call the JSON API with the coordinator's key; rejects with a message in the page language. */
  function api(method, path, body, raw) {
    var headers = { "Authorization": "Bearer " + key(), "Accept": raw ? "*/*" : "application/json" };
    var options = { method: method, headers: headers };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
    return fetch(path, options).then(function (response) {
      if (response.status === 401) {
        var error = new Error(t("web.dash.error_key"));
        error.auth = true;
        throw error;
      }
      if (!response.ok) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          throw new Error((data && data.error && data.error.message) || t("web.dash.error_server"));
        });
      }
      return raw ? response : response.json();
    }, function () { throw new Error(t("web.dash.error_network")); });
  }

  function failed(error) {
    if (error.auth) { logout(error.message); return; }
    say(error.message);
  }

  /* ---- areas: names for ids, and the area filter ---- */
  function fillAreaFilter(list) {
    var select = $("f-area"), chosen = select.value;
    while (select.options.length > 1) { select.remove(1); }
    // Tree order (by path); below the top two levels an area is named with the one above it.
    list.slice().sort(function (a, b) { return a.path < b.path ? -1 : a.path > b.path ? 1 : 0; }).forEach(function (area) {
      var parent = area.parent_id !== null && area.depth >= 2 ? areas[String(area.parent_id)] : null;
      var text = parent ? t("web.stat.area_in", { name: areaName(area.id), parent: areaName(parent.id) }) : areaName(area.id);
      select.appendChild(el("option", { value: String(area.id), text: text }));
    });
    select.value = chosen;
  }

  function loadAreas() {
    return api("GET", "/api/v1/areas").then(function (list) {
      areas = {};
      (list || []).forEach(function (area) { areas[String(area.id)] = area; });
      fillAreaFilter(list || []);
    });
  }

  /* ---- login ---- */
  function showBoard() {
    loginSection.hidden = true;
    board.hidden = false;
    // Names first, so no row or chart shows a bare area number; the board works without them.
    loadAreas().catch(failed).then(function () {
      loadQueue(true).then(function () { connect(); });
      loadStats();
    });
  }

  function logout(message) {
    setKey("");
    if (streamAbort) { streamAbort.abort(); streamAbort = null; }
    window.clearTimeout(retryTimer);
    board.hidden = true;
    loginSection.hidden = false;
    $("login-error").textContent = message || "";
    knownIds = null;
    freshIds = {};
    $("api-key").focus();
  }

  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var value = $("api-key").value.trim();
    if (!value) { $("login-error").textContent = t("web.dash.error_no_key"); $("api-key").focus(); return; }
    setKey(value);
    api("GET", "/api/v1/queue?limit=1").then(function () {
      $("login-error").textContent = "";
      $("api-key").value = "";
      showBoard();
      $("dash-heading").focus();
    }, function (error) {
      setKey("");
      $("login-error").textContent = error.message;
      $("api-key").focus();
    });
  });
  $("dash-heading").setAttribute("tabindex", "-1");
  $("logout").addEventListener("click", function () { logout(t("web.dash.logged_out")); });

  /* ---- queue ---- */
  function filterQuery() {
    var form = $("filters"), parts = [];
    ["status", "category", "urgency", "area"].forEach(function (name) {
      var value = form.elements[name].value;
      if (value) { parts.push(encodeURIComponent(name) + "=" + encodeURIComponent(value)); }
    });
    if (form.elements.overdue.checked) { parts.push("overdue=true"); }
    return parts.join("&");
  }

  var OVERDUE_ICON = "M12 2 1 21h22L12 2zm0 6 1 7h-2l1-7zm0 9a1.2 1.2 0 1 1 0 2.4A1.2 1.2 0 0 1 12 17z";

  function svgIcon(path, cls) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", cls);
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var p = document.createElementNS(ns, "path");
    p.setAttribute("d", path);
    svg.appendChild(p);
    return svg;
  }

  function row(item, fresh) {
    var state = el("td", {}, [el("span", { "class": "status status-" + item.status, text: label("status", item.status) })]);
    if (item.overdue) {
      state.appendChild(el("span", { "class": "overdue" }, [svgIcon(OVERDUE_ICON, "icon"), t("web.dash.overdue")]));
    }
    if (fresh) { state.appendChild(el("span", { "class": "fresh", text: t("web.dash.new_badge") })); }
    var open = el("button", { type: "button", "class": "open-detail", "data-id": String(item.id) }, [
      t("web.dash.details"), el("span", { "class": "visually-hidden", text: " " + t("web.dash.request_n", { id: item.id }) })
    ]);
    return el("tr", { id: "req-" + item.id, "class": item.overdue ? "is-overdue" : null }, [
      el("th", { scope: "row", text: "#" + item.id }),
      state,
      el("td", { text: label("category", item.category) }),
      el("td", { text: label("urgency", item.urgency) }),
      el("td", { text: label("area", item.area_id) }),
      el("td", { text: item.deadline ? LW.formatTime(item.deadline) : t("web.dash.none") }),
      el("td", { "class": "summary", text: item.summary || item.text || "" }),
      el("td", {}, [open])
    ]);
  }

  function itemsOf(data) {
    if (Array.isArray(data)) { return data; }
    return data.items || data.requests || data.results || [];
  }

  function loadQueue(reset) {
    var query = filterQuery();
    var url = "/api/v1/queue?limit=50" + (query ? "&" + query : "") + (!reset && nextCursor ? "&cursor=" + encodeURIComponent(nextCursor) : "");
    return api("GET", url).then(function (data) {
      var items = itemsOf(data);
      var fresh = [];
      if (reset) {
        var previous = knownIds;
        knownIds = knownIds || {};
        queueBody.textContent = "";
        items.forEach(function (item) {
          var isNew = previous !== null && !previous[item.id];
          if (isNew) { fresh.push(item); freshIds[item.id] = true; }
          knownIds[item.id] = true;
          // "New" stays on a row until the coordinator changes the filters.
          queueBody.appendChild(row(item, !!freshIds[item.id]));
        });
      } else {
        items.forEach(function (item) { knownIds[item.id] = true; queueBody.appendChild(row(item, false)); });
      }
      nextCursor = data.next_cursor || null;
      moreButton.hidden = !nextCursor;
      queueEmpty.hidden = queueBody.children.length > 0;
      if (fresh.length === 1 && fresh[0].category) {
        say(t("web.dash.announce_new", { id: fresh[0].id, category: label("category", fresh[0].category) }));
      } else if (fresh.length === 1) {
        say(t("web.dash.announce_new_plain", { id: fresh[0].id }));
      } else if (fresh.length > 1) {
        say(t("web.dash.announce_many", { count: fresh.length }));
      }
    }).catch(failed);
  }

  $("filters").addEventListener("submit", function (event) {
    event.preventDefault();
    knownIds = null;
    freshIds = {};
    loadQueue(true).then(function () {
      say(t("web.dash.filtered", { count: queueBody.children.length }));
    });
  });
  moreButton.addEventListener("click", function () { loadQueue(false); });
  queueBody.addEventListener("click", function (event) {
    var button = event.target.closest("button.open-detail");
    if (button) { openDetail(button.getAttribute("data-id")); }
  });

  /* ---- live updates: server-sent events read through fetch, so the key stays in a header ---- */
  function scheduleRefresh() {
    window.clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(function () {
      loadQueue(true);
      if (currentId && !detail.hidden) { openDetail(currentId, true); }
      // Figures follow the queue, but at most every few seconds on a busy day.
      if (Date.now() - statsAt > 5000) { loadStats(); }
    }, 300);
  }

  function setLive(on) {
    liveState.textContent = on ? t("web.dash.live_on") : t("web.dash.live_off");
    liveState.classList.toggle("on", on);
  }

  function connect() {
    if (!key() || !window.ReadableStream) { return; }
    streamAbort = new AbortController();
    fetch("/api/v1/queue/stream", {
      headers: { "Authorization": "Bearer " + key(), "Accept": "text/event-stream" },
      signal: streamAbort.signal
    }).then(function (response) {
      if (response.status === 401) { logout(t("web.dash.error_key")); return; }
      if (!response.ok || !response.body) { throw new Error("stream"); }
      setLive(true);
      var reader = response.body.getReader(), decoder = new TextDecoder(), buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) { throw new Error("closed"); }
          buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, "\n");
          var cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            var block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            // Only real events refresh the queue; ": ping" comment lines keep the line open.
            if (/^(data|event):/m.test(block) && !/^event:\s*(ping|heartbeat|hello|ready)\s*$/m.test(block)) { scheduleRefresh(); }
          }
          return pump();
        });
      }
      return pump();
    }).catch(function () {
      setLive(false);
      if (streamAbort && !streamAbort.signal.aborted) {
        retryTimer = window.setTimeout(connect, 3000);
      }
    });
  }

  /* ---- request detail and reassign ---- */
  function field(list, name, value) {
    list.appendChild(el("dt", { text: name }));
    list.appendChild(el("dd", { text: value === null || value === undefined || value === "" ? t("web.dash.none") : String(value) }));
  }

  function openDetail(id, quiet) {
    return api("GET", "/api/v1/requests/" + encodeURIComponent(id)).then(function (data) {
      var r = data.request || data;
      currentId = String(r.id || id);
      var fields = $("detail-fields");
      fields.textContent = "";
      $("detail-heading").textContent = t("web.dash.detail_of", { id: currentId });
      field(fields, t("web.dash.col_state"), label("status", r.status));
      if (r.overdue) { field(fields, t("web.dash.overdue"), t("web.dash.yes")); }
      field(fields, t("web.dash.col_category"), label("category", r.category));
      field(fields, t("web.dash.col_urgency"), label("urgency", r.urgency));
      field(fields, t("web.dash.col_area"), label("area", r.area_id));
      field(fields, t("web.dash.team"), r.team_id);
      field(fields, t("web.dash.volunteer"), r.volunteer_id);
      field(fields, t("web.dash.col_deadline"), r.deadline ? LW.formatTime(r.deadline) : null);
      field(fields, t("web.dash.created"), r.created_at ? LW.formatTime(r.created_at) : null);
      field(fields, t("web.dash.text"), r.transcript || r.text);
      // Private details come only when the API allows this coordinator to see them.
      if (r.resident) {
        field(fields, t("web.dash.resident"), r.resident.name);
        if (r.resident.phone !== undefined) { field(fields, t("web.dash.phone"), r.resident.phone); }
        if (r.resident.address !== undefined) { field(fields, t("web.dash.address"), r.resident.address); }
      }
      var offers = $("detail-offers");
      offers.textContent = "";
      (r.offers || []).forEach(function (o) {
        offers.appendChild(el("li", { text: t("web.dash.offer_line", { volunteer: o.volunteer_id, state: label("offer", o.state), deadline: LW.formatTime(o.deadline) }) }));
      });
      $("offers-block").hidden = !(r.offers && r.offers.length);
      var events = $("detail-events");
      events.textContent = "";
      (data.events || r.events || []).forEach(function (e) {
        var move = "";
        if (e.from_status && e.to_status && e.from_status !== e.to_status) {
          move = " " + t("web.dash.event_move", { from: label("status", e.from_status), to: label("status", e.to_status) });
        } else if (e.to_status && e.to_status !== e.kind) {
          move = " " + t("web.dash.event_to", { to: label("status", e.to_status) });
        }
        events.appendChild(el("li", {}, [
          el("time", { datetime: e.at, text: LW.formatTime(e.at) }), " ",
          el("strong", { text: label("event", e.kind) }), move, " ",
          el("span", { "class": "actor", text: t("web.dash.by", { actor: e.actor || "system" }) })
        ]));
      });
      detail.hidden = false;
      if (!quiet) { $("reassign-result").textContent = ""; detail.focus(); }
    }).catch(failed);
  }

  $("detail-close").addEventListener("click", function () {
    detail.hidden = true;
    var back = document.querySelector('button.open-detail[data-id="' + currentId + '"]');
    currentId = null;
    if (back) { back.focus(); } else { $("queue-heading").focus(); }
  });
  $("queue-heading").setAttribute("tabindex", "-1");

  $("reassign-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var team = $("r-team").value.trim(), volunteer = $("r-volunteer").value.trim(), body = {};
    if (team) { body.team_id = parseInt(team, 10); }
    if (volunteer) { body.volunteer_id = parseInt(volunteer, 10); }
    if (!team && !volunteer) { $("reassign-result").textContent = t("web.dash.reassign_need"); $("r-team").focus(); return; }
    api("POST", "/api/v1/requests/" + encodeURIComponent(currentId) + "/reassign", body).then(function () {
      $("reassign-result").textContent = t("web.dash.reassigned", { id: currentId });
      $("reassign-form").reset();
      openDetail(currentId, true);
      loadQueue(true);
    }, function (error) {
      if (error.auth) { failed(error); return; }
      $("reassign-result").textContent = error.message;
    });
  });

  /* ---- stats: a bar chart (inline SVG) and the same figures as a table ---- */
  function chart(title, counts, kind) {
    var names = Object.keys(counts), max = 1;
    names.forEach(function (n) { max = Math.max(max, Number(counts[n]) || 0); });
    var ns = "http://www.w3.org/2000/svg", barH = 22, gap = 8, labelW = 150, width = 480;
    var svg = document.createElementNS(ns, "svg");
    var height = names.length * (barH + gap) + gap;
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("class", "chart");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", t("web.dash.chart_of", { title: title }));
    names.forEach(function (n, i) {
      var value = Number(counts[n]) || 0, y = gap + i * (barH + gap);
      var text = document.createElementNS(ns, "text");
      text.setAttribute("x", "0"); text.setAttribute("y", String(y + barH * 0.72));
      text.setAttribute("class", "chart-label");
      text.textContent = label(kind, n);
      var bar = document.createElementNS(ns, "rect");
      bar.setAttribute("x", String(labelW)); bar.setAttribute("y", String(y));
      bar.setAttribute("height", String(barH));
      bar.setAttribute("width", String(Math.max(2, (width - labelW - 60) * value / max)));
      bar.setAttribute("class", "chart-bar");
      var num = document.createElementNS(ns, "text");
      num.setAttribute("x", String(labelW + Math.max(2, (width - labelW - 60) * value / max) + 6));
      num.setAttribute("y", String(y + barH * 0.72));
      num.setAttribute("class", "chart-value");
      num.textContent = String(value);
      svg.appendChild(text); svg.appendChild(bar); svg.appendChild(num);
    });
    var body = el("tbody", {}, names.map(function (n) {
      return el("tr", {}, [el("th", { scope: "row", text: label(kind, n) }), el("td", { text: String(counts[n]) })]);
    }));
    var table = el("table", { "class": "chart-table" }, [
      el("caption", { text: t("web.dash.table_of", { title: title }) }),
      el("thead", {}, [el("tr", {}, [el("th", { scope: "col", text: t("web.dash.col_name") }), el("th", { scope: "col", text: t("web.dash.col_count") })])]),
      body
    ]);
    return el("figure", { "class": "stat-figure" }, [el("figcaption", { text: title }), svg, table]);
  }

  var CHARTS = [
    ["open_by_status", "status"], ["open_by_category", "category"], ["open_by_area", "area"],
    ["overdue_by_status", "status"]
  ];
  var DURATIONS = ["time_to_first_offer", "time_to_accept", "time_to_completion"];

  function isCounts(value) {
    if (!value || typeof value !== "object" || Array.isArray(value)) { return false; }
    var names = Object.keys(value);
    return names.length > 0 && names.every(function (n) { return typeof value[n] === "number"; });
  }

  function minutes(seconds) {
    return seconds === null || seconds === undefined ? t("web.dash.none") : t("web.stat.minutes", { n: Math.round(seconds / 60) });
  }

  function loadStats() {
    statsAt = Date.now();
    api("GET", "/api/v1/stats").then(function (data) {
      var box = $("stats");
      box.textContent = "";
      if (data.since) { box.appendChild(el("p", { text: t("web.stat.since", { since: LW.formatTime(data.since) }) })); }
      var scalars = el("dl", { "class": "fields" });
      [["open_total", data.open_total], ["overdue", data.overdue],
       ["average_rating", data.satisfaction ? data.satisfaction.average : null]].forEach(function (pair) {
        if (pair[1] === undefined) { return; }
        scalars.appendChild(el("dt", { text: t("web.stat." + pair[0]) }));
        scalars.appendChild(el("dd", { text: pair[1] === null ? t("web.dash.none") : String(Math.round(pair[1] * 10) / 10) }));
      });
      box.appendChild(scalars);
      CHARTS.forEach(function (pair) {
        if (isCounts(data[pair[0]])) { box.appendChild(chart(t("web.stat." + pair[0]), data[pair[0]], pair[1])); }
      });
      if (data.satisfaction && isCounts(data.satisfaction.distribution)) {
        box.appendChild(chart(t("web.stat.ratings"), data.satisfaction.distribution, "rating"));
      }
      var rows = DURATIONS.filter(function (name) { return data[name]; }).map(function (name) {
        var d = data[name];
        return el("tr", {}, [el("th", { scope: "row", text: t("web.stat." + name) }), el("td", { text: String(d.count) }),
          el("td", { text: minutes(d.median_s) }), el("td", { text: minutes(d.p90_s) })]);
      });
      if (rows.length) {
        box.appendChild(el("table", { "class": "chart-table" }, [
          el("caption", { text: t("web.stat.durations") }),
          el("thead", {}, [el("tr", {}, [el("th", { scope: "col", text: t("web.stat.col_measure") }), el("th", { scope: "col", text: t("web.dash.col_count") }),
            el("th", { scope: "col", text: t("web.stat.col_median") }), el("th", { scope: "col", text: t("web.stat.col_p90") })])]),
          el("tbody", {}, rows)
        ]));
      }
    }).catch(failed);
  }
  $("stats-refresh").addEventListener("click", function () { loadStats(); say(t("web.dash.stats_updated")); });

  /* ---- ledger ---- */
  $("ledger-export").addEventListener("click", function () {
    api("GET", "/api/v1/ledger/export.csv", undefined, true).then(function (response) {
      return response.blob();
    }).then(function (blob) {
      var url = URL.createObjectURL(blob);
      var link = el("a", { href: url, download: "lightwing-ledger.csv", "class": "visually-hidden", text: t("web.dash.ledger_export") });
      document.body.appendChild(link);
      link.click();
      window.setTimeout(function () { URL.revokeObjectURL(url); link.remove(); }, 1000);
      $("ledger-result").textContent = t("web.dash.ledger_downloaded");
    }).catch(failed);
  });

  $("ledger-verify").addEventListener("click", function () {
    api("GET", "/api/v1/ledger/verify").then(function (report) {
      var box = $("ledger-result");
      box.textContent = "";
      box.appendChild(el("p", { text: report.ok ? t("web.dash.ledger_ok", { count: report.count }) : t("web.dash.ledger_bad", { count: report.count }) }));
      if (report.problems && report.problems.length) {
        box.appendChild(el("ul", {}, report.problems.map(function (p) { return el("li", { text: String(p) }); })));
      }
    }).catch(failed);
  });

  if (key()) { showBoard(); }
})();
