// The query page: an editor with the project's prefixes, the named queries as examples,
// results as a table, download links. Everything comes from this server.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("lg-examples").textContent);
  var editor = document.getElementById("query");
  var select = document.getElementById("examples");
  var answers = document.getElementById("answers");
  var runButton = document.getElementById("run");
  var status = document.getElementById("status");
  var results = document.getElementById("results");
  var downloads = document.getElementById("downloads");

  var prefixes = data.prefixes.map(function (p) { return [p[0], p[1]]; });

  data.examples.forEach(function (example) {
    var option = document.createElement("option");
    option.value = example.name;
    option.textContent = example.title + (example.title_en ? " — " + example.title_en : "");
    select.appendChild(option);
  });

  function showExample(name) {
    var example = data.examples.find(function (e) { return e.name === name; });
    if (!example) { return false; }
    select.value = name;
    editor.value = example.sparql;
    answers.textContent = example.answers || "";
    return true;
  }

  select.addEventListener("change", function () {
    if (showExample(select.value)) { location.hash = "example=" + encodeURIComponent(select.value); }
  });

  function shorten(iri) {
    for (var i = 0; i < prefixes.length; i++) {
      var ns = prefixes[i][1];
      if (iri.indexOf(ns) === 0 && /^[\w.-]*$/.test(iri.slice(ns.length))) {
        return prefixes[i][0] + ":" + iri.slice(ns.length);
      }
    }
    return "<" + iri + ">";
  }

  function cell(term) {
    var td = document.createElement("td");
    if (!term) { return td; }
    if (term.type === "uri") {
      var code = document.createElement("code");
      code.textContent = shorten(term.value);
      code.title = term.value;
      td.appendChild(code);
    } else if (term.type === "literal") {
      td.appendChild(document.createTextNode(term.value));
      var note = term["xml:lang"] ? ["lang", "@" + term["xml:lang"]] :
        term.datatype ? ["dt", shorten(term.datatype)] : null;
      if (note) {
        var span = document.createElement("span");
        span.className = note[0];
        span.textContent = note[1];
        td.appendChild(span);
      }
    } else {
      td.textContent = "_:" + term.value;
    }
    return td;
  }

  function renderResults(json) {
    results.textContent = "";
    if (typeof json.boolean === "boolean") {
      var p = document.createElement("p");
      p.className = "boolean";
      p.textContent = json.boolean ? "vrai (true)" : "faux (false)";
      results.appendChild(p);
      return "ASK";
    }
    var vars = json.head.vars;
    var rows = json.results.bindings;
    var table = document.createElement("table");
    var head = table.createTHead().insertRow();
    vars.forEach(function (v) {
      var th = document.createElement("th");
      th.textContent = "?" + v;
      head.appendChild(th);
    });
    var body = table.createTBody();
    rows.forEach(function (row) {
      var tr = body.insertRow();
      vars.forEach(function (v) { tr.appendChild(cell(row[v])); });
    });
    results.appendChild(table);
    return rows.length + (rows.length > 1 ? " résultats" : " résultat");
  }

  function setDownloads(query, isGraph) {
    downloads.textContent = "Télécharger : ";
    var formats = isGraph ? [["turtle", "Turtle"], ["ntriples", "N-Triples"], ["jsonld", "JSON-LD"], ["rdfxml", "RDF/XML"]]
      : [["json", "JSON"], ["csv", "CSV"], ["tsv", "TSV"], ["xml", "XML"]];
    formats.forEach(function (f) {
      var a = document.createElement("a");
      a.href = "/sparql?query=" + encodeURIComponent(query) + "&format=" + f[0];
      a.textContent = f[1];
      a.setAttribute("download", "resultats." + f[0]);
      downloads.appendChild(a);
    });
    downloads.hidden = false;
  }

  function run() {
    var query = editor.value;
    runButton.disabled = true;
    status.className = "";
    status.textContent = "Exécution…";
    var started = performance.now();
    fetch("/sparql", {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/sparql-results+json, text/turtle;q=0.9"
      },
      body: "query=" + encodeURIComponent(query)
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      return response.text().then(function (text) {
        var ms = Math.round(performance.now() - started);
        if (!response.ok) {
          status.className = "error";
          status.textContent = "Erreur " + response.status + " : " + text;
          results.textContent = "";
          downloads.hidden = true;
          return;
        }
        var summary;
        if (type.indexOf("sparql-results+json") >= 0) {
          summary = renderResults(JSON.parse(text));
          setDownloads(query, false);
        } else {
          results.textContent = "";
          var pre = document.createElement("pre");
          pre.textContent = text;
          results.appendChild(pre);
          summary = "graphe RDF (Turtle)";
          setDownloads(query, true);
        }
        status.textContent = summary + " en " + ms + " ms";
      });
    }).catch(function (error) {
      status.className = "error";
      status.textContent = "Erreur réseau : " + error;
    }).then(function () { runButton.disabled = false; });
  }

  runButton.addEventListener("click", run);
  editor.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") { event.preventDefault(); run(); }
  });

  // #example=NAME, #query=TEXT, and &run to run at once (shareable links).
  var hash = new URLSearchParams(location.hash.slice(1));
  if (hash.has("query")) {
    editor.value = hash.get("query");
  } else if (!(hash.has("example") && showExample(hash.get("example")))) {
    editor.value = data.prefixes.map(function (p) { return "PREFIX " + p[0] + ": <" + p[1] + ">"; }).join("\n") +
      "\n\nSELECT ?seminaire ?nom ?date WHERE {\n  ?seminaire a lg:Seminar ; schema:name ?nom ; schema:startDate ?date .\n}\nORDER BY ?date\n";
  }
  if (hash.has("run")) { run(); }
})();
