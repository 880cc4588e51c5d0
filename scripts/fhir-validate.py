#!/usr/bin/env python3
"""Independent FHIR R4 validation of JSON files, for Myotome's FHIR export tests and benchmarks.

    PY=$(scripts/fhir-venv)
    $PY scripts/fhir-validate.py [--quiet] PATH...        validate; exit 0 all valid, 1 any invalid,
                                                         2 usage or IO error
    $PY scripts/fhir-validate.py --time PATH...           time validation of every file

PATH is a JSON resource, a Bundle, an NDJSON file (one resource per line: `.ndjson`, or any file
that is not one JSON document), or a directory (its *.json and *.ndjson files, recursively).
It runs under the venv scripts/fhir-venv makes: fhir.resources 6.4.0 (FHIR R4 4.0.1) on
pydantic 1.x. This code shares nothing with Myotome's Rust, which is the point.

Output is one JSON object on stdout:

    {"files": n, "resources": n, "valid": n,
     "invalid": [{"file": ..., "entry": i|null, "line": n|null, "resourceType": ..., "error": ...}]}

`resources` counts every resource checked: a Bundle counts once for itself and once per entry
resource. Each invalid resource appears once, its problems joined by "; ", so
len(invalid) == resources - valid. A file that is not JSON, or holds no resource, is one invalid
record with resourceType null. Without --quiet, a line per invalid resource also goes to stderr.

--time prints {"files", "bytes", "resources", "seconds", "mb_per_s"} (MB = 10^6 bytes). Files are
read into memory first; the clock covers JSON parsing and the same validation as above.

Two layers of checking, each error prefixed with its layer:

* `fhir.resources:` the R4 pydantic models — required elements, unknown elements, choice types
  ([x]: at most one, and exactly one where required), primitive formats (regexes for id, code,
  date, dateTime, instant, decimal …; impossible dates such as 2023-02-30), non-negative and
  positive integers, string lengths for id. These models do NOT check value-set bindings, target
  types of references, FHIRPath invariants (con-3, obs-6, bdl-7 …), and, being pydantic, they
  coerce JSON types ("true" and "yes" pass as booleans, 1.5 as the integer 1, "1.5" as a decimal,
  a number as a dateTime) and accept null and empty arrays.
* `strict:` what this script adds from the models' own metadata, so those gaps do not hide
  export bugs — JSON types exactly as R4 JSON requires (booleans are true/false, integers are
  integral numbers, decimals are numbers, every other primitive is a string); no null except as
  an array placeholder paired with a `_element` extension, no empty objects, arrays or strings;
  `resourceType` present and an R4 resource; codes inside the value sets the models list
  (`enum_values`: the required bindings enumerated in the spec, e.g. Patient.gender,
  Observation.status, Bundle.type; where the models' list is cut short with "+" the complete R4
  set is written out below, or the element is left unchecked); literal references (`Type/id`) pointing at a type the element
  allows; and, inside a Bundle, `urn:uuid:`/fullUrl references resolving to an entry of an
  allowed type. FHIRPath invariants and terminology (SNOMED, LOINC, RxNorm codes) stay unchecked.

A Bundle is validated as its envelope (everything but entry[].resource) plus each entry's
resource on its own. That is what validating the whole Bundle does, done once, and it names the
exact entry that fails.
"""

import argparse
import json
import os
import re
import sys
import time

try:
    import fhir.resources
    from fhir.resources import construct_fhir_element, get_fhir_model_class
    from fhir.resources import fhirtypes
    from fhir.resources.resource import Resource
    from pydantic import ValidationError
    from pydantic.fields import SHAPE_SINGLETON
except ImportError as error:  # not under the venv
    print(f"fhir-validate: cannot import fhir.resources ({error}); run this script with the "
          "python that scripts/fhir-venv prints", file=sys.stderr)
    sys.exit(2)

EXPECTED_VERSION = "6.4.0"


class UsageError(Exception):
    """A problem with the command line or the files named on it: exit 2."""


# --- Reading files -----------------------------------------------------------------------------

def collect(paths):
    """The files named, with directories expanded to their *.json and *.ndjson files."""
    files = []
    for path in paths:
        if os.path.isdir(path):
            found = []
            for directory, _, names in os.walk(path):
                found += [os.path.join(directory, n) for n in names
                          if n.endswith((".json", ".ndjson"))]
            files += sorted(found)
        elif os.path.isfile(path):
            files.append(path)
        else:
            raise UsageError(f"{path}: no such file or directory")
    return files


def read_all(files):
    contents = []
    for path in files:
        try:
            with open(path, "rb") as handle:
                contents.append(handle.read())
        except OSError as error:
            raise UsageError(f"{path}: cannot read it ({error.strerror})") from error
    return contents


def reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def loads(text):
    # NaN and Infinity are Python extensions, not JSON.
    return json.loads(text, parse_constant=reject_constant)


def documents(path, data):
    """(line, object, error) for each resource in one file; line is None for a plain JSON file,
    error is None or why that document (or the whole file) could not be read as JSON."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return [(None, None, f"not UTF-8 ({error})")]
    if not path.endswith(".ndjson"):
        try:
            return [(None, loads(text), None)]
        except ValueError as error:
            # One JSON document followed by more: read it as NDJSON. Anything else is an error.
            if not str(error).startswith("Extra data"):
                return [(None, None, f"not JSON: {error}")]
    out = []
    # Split on "\n" only: str.splitlines() also splits on U+2028 and friends, which JSON strings
    # may hold unescaped.
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            try:
                out.append((number, loads(line), None))
            except ValueError as error:
                out.append((number, None, f"not JSON: {error}"))
    return out or [(None, None, "no resource in the file")]


# --- The strict layer --------------------------------------------------------------------------

_fields_by_alias = {}


def fields_of(klass):
    fields = _fields_by_alias.get(klass)
    if fields is None:
        fields = {f.alias: f for f in klass.__fields__.values()}
        _fields_by_alias[klass] = fields
    return fields


def resource_class(name):
    """The model class for an R4 resource type name, or None (unknown, or a data type)."""
    if not isinstance(name, str):
        return None
    try:
        klass = get_fhir_model_class(name)
    except KeyError:
        return None
    return klass if issubclass(klass, Resource) else None


def data_type_class(type_):
    try:
        return get_fhir_model_class(type_.__resource_type__)
    except (AttributeError, KeyError):
        return None


# "Type/id" or ".../Type/id", optionally "/_history/version".
LITERAL_REFERENCE = re.compile(
    r"(?:^|/)([A-Z][A-Za-z]+)/[A-Za-z0-9\-.]{1,64}(?:/_history/[A-Za-z0-9\-.]{1,64})?$")


# The models copy each code element's short description from the spec, which ends in "+" when
# the value set has more codes than it lists. The complete R4 4.0.1 sets for the truncated ones
# this project may emit; the other truncated lists (Task.status, DeviceUseStatement.status …)
# are not checked at all rather than checked against a partial list.
OBSERVATION_STATUS = ["registered", "preliminary", "final", "amended", "corrected", "cancelled",
                      "entered-in-error", "unknown"]
ENCOUNTER_STATUS = ["planned", "arrived", "triaged", "in-progress", "onleave", "finished",
                    "cancelled", "entered-in-error", "unknown"]
COMPLETE_VALUE_SETS = {
    ("Observation", "status"): OBSERVATION_STATUS,
    ("DetectedIssue", "status"): OBSERVATION_STATUS,
    ("RiskAssessment", "status"): OBSERVATION_STATUS,
    ("DiagnosticReport", "status"): ["registered", "partial", "preliminary", "final", "amended",
                                     "corrected", "appended", "cancelled", "entered-in-error",
                                     "unknown"],
    ("Encounter", "status"): ENCOUNTER_STATUS,
    ("EncounterStatusHistory", "status"): ENCOUNTER_STATUS,
}


def required_codes(klass, field):
    """The codes an element must take, or None when the models do not list them all."""
    complete = COMPLETE_VALUE_SETS.get((klass.__name__, field.alias))
    if complete is not None:
        return complete
    listed = field.field_info.extra.get("enum_values")
    return None if not listed or "+" in listed else listed


ENTRY_RESOURCE = re.compile(r"entry\[\d+\]\.resource$")


class Strict:
    """Walks a resource's JSON beside its model, collecting the problems pydantic lets through."""

    def __init__(self, bundle_index=None, skip_entry_resources=False):
        # fullUrl -> resourceType of the entries of the Bundle being checked, if any.
        self.bundle_index = bundle_index
        # For a Bundle's envelope: its entries' resources are checked on their own.
        self.skip_entry_resources = skip_entry_resources
        self.problems = []

    def problem(self, path, message):
        self.problems.append(f"strict: {path or '(resource)'}: {message}")

    def resource(self, obj, path=""):
        if not isinstance(obj, dict):
            self.problem(path, "a resource must be a JSON object")
            return
        klass = resource_class(obj.get("resourceType"))
        if "resourceType" not in obj:
            self.problem(path, "no resourceType")
            return
        if klass is None:
            self.problem(path, f"resourceType {obj['resourceType']!r} is not an R4 resource")
            return
        self.element(klass, obj, path)

    def element(self, klass, obj, path):
        if not obj:
            self.problem(path, "empty object")
            return
        fields = fields_of(klass)
        for key, value in obj.items():
            field = fields.get(key)
            if field is None:
                continue  # unknown element: pydantic reports it
            here = f"{path}.{key}" if path else key
            if field.shape == SHAPE_SINGLETON:
                if value is None:
                    self.problem(here, "null")
                elif not isinstance(value, list):
                    self.value(klass, field, value, here)
                continue
            if not isinstance(value, list):
                continue  # pydantic reports it
            if not value:
                self.problem(here, "empty array")
                continue
            for i, item in enumerate(value):
                if item is None:
                    # Allowed only in a primitive array whose _twin has content there (or vice
                    # versa): checked below.
                    if not key.startswith("_") and not self.paired(obj, "_" + key, i):
                        self.problem(f"{here}[{i}]", "null with no extension beside it")
                    elif key.startswith("_") and not self.paired(obj, key[1:], i):
                        self.problem(f"{here}[{i}]", "null with no value beside it")
                else:
                    self.value(klass, field, item, f"{here}[{i}]")
            twin = obj.get(key[1:] if key.startswith("_") else "_" + key)
            if isinstance(twin, list) and len(twin) != len(value) and not key.startswith("_"):
                self.problem(here, f"{len(value)} values but {len(twin)} in _{key}")

    @staticmethod
    def paired(obj, key, i):
        twin = obj.get(key)
        return isinstance(twin, list) and i < len(twin) and twin[i] is not None

    def value(self, klass, field, value, path):
        type_ = field.type_
        if type_ is bool:
            if not isinstance(value, bool):
                self.problem(path, f"{json.dumps(value)} is not a JSON boolean")
        elif isinstance(type_, type) and issubclass(type_, fhirtypes.Primitive):
            if issubclass(type_, fhirtypes.Decimal):
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    self.problem(path, f"{json.dumps(value)} is not a JSON number")
            elif issubclass(type_, int):
                if isinstance(value, bool) or not isinstance(value, int):
                    self.problem(path, f"{json.dumps(value)} is not a JSON integer")
            elif not isinstance(value, str):
                self.problem(path, f"{json.dumps(value)} is not a JSON string")
            elif value == "":
                self.problem(path, "empty string")
            else:
                allowed = required_codes(klass, field)
                if allowed is not None and value not in allowed:
                    self.problem(path, f"code {value!r} is not in the required value set "
                                       f"({', '.join(allowed)})")
        elif type_ is fhirtypes.ResourceType:
            if not (self.skip_entry_resources and ENTRY_RESOURCE.match(path)):
                self.resource(value, path)
        elif isinstance(value, dict):
            inner = data_type_class(type_)
            if inner is not None:
                self.element(inner, value, path)
                targets = field.field_info.extra.get("enum_reference_types")
                if targets and "reference" in value:
                    self.reference(value["reference"], targets, path)

    def reference(self, reference, targets, path):
        if not isinstance(reference, str) or "Resource" in targets:
            return
        target = None
        if self.bundle_index is not None and reference in self.bundle_index:
            target = self.bundle_index[reference]
        elif reference.startswith("urn:"):
            if self.bundle_index is not None:
                self.problem(path, f"{reference} matches no fullUrl in the Bundle")
            return
        else:
            match = LITERAL_REFERENCE.search(reference)
            if match and resource_class(match.group(1)) is not None:
                target = match.group(1)
        if target is not None and target not in targets:
            self.problem(path, f"refers to {target}; this element allows {', '.join(targets)}")


# --- Validation --------------------------------------------------------------------------------

def location(loc):
    out = ""
    for part in loc:
        if part == "__root__":
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(resource)"


def model_problems(resource_type, obj):
    try:
        construct_fhir_element(resource_type, obj)
    except ValidationError as error:
        return [f"fhir.resources: {location(e['loc'])}: {e['msg']}" for e in error.errors()]
    except Exception as error:  # the library raises LookupError, TypeError … for some shapes
        return [f"fhir.resources: {type(error).__name__}: {error}"]
    return []


def check_resource(obj, bundle_index=None):
    """The problems with one resource (not a top-level Bundle: see check_bundle)."""
    strict = Strict(bundle_index)
    strict.resource(obj)
    if resource_class(obj.get("resourceType") if isinstance(obj, dict) else None) is None:
        return strict.problems
    return model_problems(obj["resourceType"], obj) + strict.problems


def check_bundle(bundle):
    """(entry index or None, resourceType, problems) for a Bundle's envelope and each entry."""
    entries = bundle.get("entry")
    entries = entries if isinstance(entries, list) else []
    # The envelope: the models see the Bundle without its entries' resources, the strict layer
    # sees it whole but does not descend into them.
    envelope = dict(bundle)
    if entries:
        envelope["entry"] = [
            {k: v for k, v in e.items() if k != "resource"} if isinstance(e, dict) else e
            for e in entries
        ]
    strict = Strict(skip_entry_resources=True)
    strict.resource(bundle)
    results = [(None, "Bundle", model_problems("Bundle", envelope) + strict.problems)]
    index = {e["fullUrl"]: e["resource"].get("resourceType")
             for e in entries
             if isinstance(e, dict) and isinstance(e.get("fullUrl"), str)
             and isinstance(e.get("resource"), dict)}
    for i, entry in enumerate(entries):
        if isinstance(entry, dict) and "resource" in entry:
            resource = entry["resource"]
            kind = resource.get("resourceType") if isinstance(resource, dict) else None
            results.append((i, kind, check_resource(resource, index)))
    return results


def check_document(obj):
    if isinstance(obj, dict) and obj.get("resourceType") == "Bundle":
        return check_bundle(obj)
    kind = obj.get("resourceType") if isinstance(obj, dict) else None
    return [(None, kind, check_resource(obj))]


def validate(files, contents):
    report = {"files": len(files), "resources": 0, "valid": 0, "invalid": []}
    for path, data in zip(files, contents):
        for line, obj, error in documents(path, data):
            checked = [(None, None, [error])] if error else check_document(obj)
            for entry, kind, problems in checked:
                report["resources"] += 1
                if problems:
                    report["invalid"].append({"file": path, "entry": entry, "line": line,
                                              "resourceType": kind, "error": "; ".join(problems)})
                else:
                    report["valid"] += 1
    return report


def main(argv):
    parser = argparse.ArgumentParser(
        prog="fhir-validate.py",
        description="Validate FHIR R4 JSON, NDJSON and Bundles with fhir.resources 6.4.0.")
    parser.add_argument("--quiet", action="store_true", help="no per-resource lines on stderr")
    parser.add_argument("--time", action="store_true", help="print throughput instead")
    parser.add_argument("paths", nargs="+", metavar="PATH")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return 2 if exit_.code else 0  # argparse exits 2 on a usage error, 0 on --help
    if fhir.resources.__version__ != EXPECTED_VERSION:
        print(f"fhir-validate: fhir.resources {fhir.resources.__version__} is installed; this "
              f"script expects {EXPECTED_VERSION} (FHIR R4 4.0.1): use scripts/fhir-venv",
              file=sys.stderr)
        return 2
    try:
        files = collect(args.paths)
        if not files:
            raise UsageError("no .json or .ndjson file under the paths given")
        contents = read_all(files)
    except UsageError as error:
        print(f"fhir-validate: {error}", file=sys.stderr)
        return 2

    if args.time:
        start = time.perf_counter()
        report = validate(files, contents)
        seconds = time.perf_counter() - start
        size = sum(len(c) for c in contents)
        print(json.dumps({"files": len(files), "bytes": size, "resources": report["resources"],
                          "seconds": round(seconds, 3),
                          "mb_per_s": round(size / 1e6 / seconds, 2)}))
        if report["invalid"]:
            print(f"fhir-validate: {len(report['invalid'])} invalid resources in the timed set",
                  file=sys.stderr)
        return 0

    report = validate(files, contents)
    print(json.dumps(report))
    if not args.quiet:
        for bad in report["invalid"]:
            where = bad["file"]
            if bad["line"] is not None:
                where += f" line {bad['line']}"
            if bad["entry"] is not None:
                where += f" entry {bad['entry']}"
            print(f"INVALID {where} ({bad['resourceType']}): {bad['error']}", file=sys.stderr)
        print(f"fhir-validate: {report['valid']} of {report['resources']} resources valid in "
              f"{report['files']} files", file=sys.stderr)
    return 1 if report["invalid"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
