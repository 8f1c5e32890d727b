#!/bin/sh
# Copies seed inputs for every fuzz target into fuzz/corpus/<target>/ (not committed): the
# repository's fixtures and, when it is there, ../shared/reference/samples (read in place,
# never copied into the repository). Run from anywhere; safe to run again.
set -eu
fuzz=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$fuzz")
samples=${DDMC_SAMPLES:-$repo/../shared/reference/samples}
corpus=$fuzz/corpus
fixtures=$repo/tests/fixtures

mkdir -p "$corpus"
for t in compile project lint_json lint_xml_plist lint_binary_plist status_report catalog; do
    mkdir -p "$corpus/$t"
done

# Each seed is named after a hash of its content, so running this again adds nothing.
add() { # target file
    [ -f "$2" ] || return 0
    cp "$2" "$corpus/$1/seed-$(sha1sum <"$2" | cut -c1-16)"
}
find_in() { # folders... -- find arguments
    dirs=""
    while [ "$1" != "--" ]; do [ -d "$1" ] && dirs="$dirs $1"; shift; done
    shift
    [ -n "$dirs" ] && find $dirs -type f "$@" | sort || true
}

# Policies: YAML and JSON, alone and two at a time (the target splits at NUL bytes).
find_in "$fixtures/build" "$fixtures/errors" "$fixtures/report" "$fixtures/status" "$repo/policies" "$repo/src/init" -- \
    \( -path '*/policies/*' -o -path '*/errors/*' -o -name '*-baseline.yaml' \) \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) \
    -not -path '*/expected/*' >"$corpus/.policies"
while read -r f; do add compile "$f"; done <"$corpus/.policies"
prev=""
while read -r f; do
    if [ -n "$prev" ]; then
        tmp=$(mktemp)
        { cat "$prev"; printf '\0'; cat "$f"; } >"$tmp"
        add compile "$tmp"
        rm -f "$tmp"
    fi
    prev=$f
done <"$corpus/.policies"

# ddmc.yaml, then NUL, then a policy with templates.
templated='id: mac
description: "Ring {{ ring }}"
targets:
  platforms: [macOS]
  groups: ["{{ group | default(\"all\") }}"]
enforce:
  - os_version: "26.4"
    deadline: "{{ deadline_day }}T18:00:00"
'
envs='organization:
  name: Example
  identifier_prefix: com.example.env
environments:
  staging: { deadline_day: "2026-12-01", ring: early, group: pilot }
  production: { deadline_day: "2026-12-08", ring: broad }
'
tmp=$(mktemp)
printf '%s\0%s' "$envs" "$templated" >"$tmp"; add project "$tmp"
find_in "$fixtures" "$repo/src/init" "$repo" -- -maxdepth 4 -name ddmc.yaml -not -path '*/fuzz/*' -not -path '*/target/*' |
    while read -r f; do
        { cat "$f"; printf '\0%s' "$templated"; } >"$tmp"
        add project "$tmp"
    done
rm -f "$tmp"

# Declarations (JSON).
find_in "$fixtures/lint" "$fixtures/build" "$samples/real-world-ddm" -- -name '*.json' -not -name 'manifest.json' |
    while read -r f; do add lint_json "$f"; done

# XML property lists: profiles and bare payloads; and binary ones (the target adds `bplist`).
find_in "$fixtures" "$samples/legacy-mobileconfig" -- \( -name '*.mobileconfig' -o -name '*.plist' -o -name '*.xml' \) |
    while read -r f; do
        if head -c 6 "$f" | grep -q bplist; then
            tail -c +7 "$f" >"$corpus/.bin" && add lint_binary_plist "$corpus/.bin"
        else
            add lint_xml_plist "$f"
        fi
    done
# Binary versions of the XML plists, where Python can convert them.
if command -v python3 >/dev/null; then
    python3 - "$corpus" <<'PY'
import hashlib, pathlib, plistlib, sys
corpus = pathlib.Path(sys.argv[1])
for src, dst, strip in [("lint_xml_plist", "lint_binary_plist", True), ("status_report", "status_report", False)]:
    for f in sorted((corpus / src).glob("seed-*")):
        try:
            value = plistlib.loads(f.read_bytes())
        except Exception:
            continue
        data = plistlib.dumps(value, fmt=plistlib.FMT_BINARY, sort_keys=False)
        if strip:
            data = data[6:]
        (corpus / dst / ("seed-bin-" + hashlib.sha1(data).hexdigest()[:16])).write_bytes(data)
PY
fi

# Status reports and DeviceInformation responses.
find_in "$fixtures/status/reports" "$samples/status-reports" -- -type f | while read -r f; do add status_report "$f"; done

# Catalogs: the small GDMF answers as they are; the large SOFA caches cut to a few entries per
# platform, also in ddmc's wrapper (large seeds make every mutation slow).
find_in "$samples/gdmf-pmv/zentral" -- -name '*.json' | while read -r f; do add catalog "$f"; done
if command -v python3 >/dev/null && [ -d "$samples/gdmf-pmv/sofa" ]; then
    python3 - "$corpus/catalog" "$samples/gdmf-pmv/sofa" <<'PY'
import hashlib, json, pathlib, sys
out, sofa = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for f in sorted(sofa.glob("*.json")):
    cache = json.loads(f.read_text())
    pmv = {key: {platform: entries[:4] for platform, entries in lists.items()} for key, lists in cache["data"].items()}
    for doc in ({"etag": "x", "data": pmv}, {"fetched": "2026-03-20T06:00:00Z", "source": "https://gdmf.apple.com/v2/pmv", "pmv": pmv}, pmv):
        text = json.dumps(doc, indent=1).encode()
        (out / ("seed-" + hashlib.sha1(text).hexdigest()[:16])).write_bytes(text)
PY
fi
rm -f "$corpus/.policies" "$corpus/.bin"
for t in "$corpus"/*/; do echo "$(ls "$t" | wc -l) seeds in $t"; done
