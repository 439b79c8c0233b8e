"""The API's OpenAPI document, validated, and the API fuzzed against it on loopback.

Usage: api.py BASE_URL. The document of /openapi.json is validated as OpenAPI 3.1
(openapi-spec-validator); then schemathesis sends what the document allows, and what it
does not, to every operation (its examples, the coverage of each parameter's edges, then
random cases), and fails on any 5xx. Prints "api checks passed".
"""
import json
import subprocess
import sys
import urllib.request
from pathlib import Path

from openapi_spec_validator import validate

BASE = sys.argv[1]
doc = json.load(urllib.request.urlopen(f"{BASE}/openapi.json"))
validate(doc)
assert doc["openapi"].startswith("3.1"), doc["openapi"]
for path in ("/search", "/reconcile", "/suggest", "/queries/seminar-speakers"):
    assert path in doc["paths"], path
print(f"openapi document valid: {len(doc['paths'])} paths")

schemathesis = Path(sys.executable).parent / "schemathesis"
# schemathesis keeps a cache in its working folder: the report folder, not the checkout.
work = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("schemathesis-report")
work.mkdir(parents=True, exist_ok=True)
run = subprocess.run(
    [
        str(schemathesis), "run", f"{BASE}/openapi.json",
        "--checks", "not_a_server_error",
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", "15",
        "--workers", "2",
        "--seed", "20261128",
        "--report-dir", str(work.resolve()),
    ],
    capture_output=True,
    text=True,
    cwd=work,
)
summary = run.stdout[-1500:]
if run.returncode != 0:
    sys.exit(f"FAILED: schemathesis found server errors\n{run.stdout[-6000:]}\n{run.stderr[-2000:]}")
print(summary)
print("api checks passed")
