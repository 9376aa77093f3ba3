#!/usr/bin/env bash
# Validates docker-compose.yml offline: no Docker engine runs on the development
# machines or in CI, and none is needed here.
#
#   bash .ci/validate-compose.sh [compose-file]     (default: docker-compose.yml)
#
# 1. `docker-compose config` (Debian's docker-compose 1.29, or Compose v2 if that
#    is what is installed; it fails exactly when `config -q` does): YAML, anchors
#    and merge keys, variable interpolation, the Compose schema (keys, types, depends_on conditions
#    including service_completed_successfully), references to undefined
#    services, dependency cycles.
# 2. Checks on the resolved file that `config` does not make, each a way the
#    stack would fail only at `docker compose up`:
#    - bind-mounted host paths and build contexts (with their Dockerfile) exist,
#      and every COPY source of that Dockerfile exists and is not left out of
#      the context by .dockerignore (an allow-list here);
#    - a service others wait on with service_healthy defines a healthcheck;
#    - a one-shot job others wait on with service_completed_successfully does not
#      restart (restart: "no" or on-failure), or it would run forever;
#    - mounted shell scripts (e.g. PostgreSQL init scripts) parse (bash -n).
#
# Needs docker-compose and python3 with PyYAML (a dependency of Debian's
# docker-compose); installs them with apt-get when missing and running as root.
# Exits non-zero when the file is invalid.
set -euo pipefail
cd "$(dirname "$0")/.."

compose_file=${1:-docker-compose.yml}
[ -f "$compose_file" ] || { echo "validate-compose: $compose_file not found" >&2; exit 1; }

apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "validate-compose: missing $*; install it (Debian: apt-get install $*)" >&2
    exit 1
  fi
  echo "validate-compose: installing $* with apt-get..." >&2
  export DEBIAN_FRONTEND=noninteractive
  # --no-install-recommends: docker-compose recommends docker.io, not needed to validate.
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
}

if command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
elif docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  apt_install docker-compose
  compose=(docker-compose)
fi
python3 -c 'import yaml' 2>/dev/null || apt_install python3-yaml

# Validate the file alone: an empty env file instead of a local .env, and a clean
# environment in which every ${VAR:?...} the file requires has a placeholder value.
env_file=$(mktemp)
resolved=$(mktemp)
trap 'rm -f "$env_file" "$resolved"' EXIT
clean_env=(env -i "PATH=$PATH" "HOME=${HOME:-/root}")
while IFS= read -r name; do
  clean_env+=("$name=validation-placeholder-0123456789")
done < <(grep -oE '\$\{[A-Za-z_][A-Za-z0-9_]*:?\?' "$compose_file" | sed -E 's/^\$\{//; s/:?\?$//' | sort -u)

# `config` fails exactly when `config -q` does; it also prints the resolved file for step 2.
echo "validate-compose: ${compose[*]} config $compose_file" >&2
"${clean_env[@]}" "${compose[@]}" --env-file "$env_file" -f "$compose_file" config >"$resolved"

python3 - "$resolved" <<'PY'
import fnmatch, glob, os, re, subprocess, sys
import yaml

with open(sys.argv[1]) as f:
    config = yaml.safe_load(f)
services = config.get("services") or {}
errors = []

def bind_sources(svc):
    for vol in svc.get("volumes") or []:
        if isinstance(vol, dict):  # long syntax
            if vol.get("type") == "bind":
                yield vol.get("source")
        else:                      # short syntax SRC:DST[:MODE]; named volumes have no slash
            src = str(vol).split(":", 1)[0]
            if src.startswith(("/", ".", "~")):
                yield src

def ignored(context, path):
    """Whether .dockerignore leaves `path` out of the context (last matching rule wins;
    checks the path and its parent folders, enough for the top-level paths COPY names)."""
    try:
        with open(os.path.join(context, ".dockerignore")) as f:
            rules = [l.strip() for l in f if l.strip() and not l.lstrip().startswith("#")]
    except FileNotFoundError:
        return False
    parts = os.path.normpath(path).split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    excluded = False
    for rule in rules:
        negate = rule.startswith("!")
        pattern = rule.lstrip("!").strip("/")
        if any(fnmatch.fnmatchcase(p, pattern) for p in prefixes):
            excluded = not negate
    return excluded

def copy_sources_missing(context, dockerfile):
    """COPY/ADD sources from the build context that are absent or excluded by .dockerignore."""
    with open(dockerfile) as f:
        text = re.sub(r"\\\n", " ", f.read())
    for line in text.splitlines():
        words = line.split()
        if len(words) < 3 or words[0].upper() not in ("COPY", "ADD") or words[1].startswith("["):
            continue
        args = words[1:]
        if any(a.startswith("--from") for a in args):
            continue
        sources = [a for a in args if not a.startswith("--")][:-1]
        for src in sources:
            if "://" in src or "$" in src:
                continue
            if not glob.glob(os.path.join(context, src)):
                yield f"COPY source {src} does not exist"
            elif ignored(context, src):
                yield f"COPY source {src} is excluded by .dockerignore"

for name, svc in services.items():
    for src in bind_sources(svc):
        path = os.path.expanduser(src)
        if not os.path.exists(path):
            errors.append(f"{name}: bind-mounted path {src} does not exist")
        elif path.endswith(".sh"):
            check = subprocess.run(["bash", "-n", path], capture_output=True, text=True)
            if check.returncode != 0:
                errors.append(f"{name}: {src} does not parse: {check.stderr.strip()}")

    build = svc.get("build")
    if build is not None:
        if isinstance(build, str):
            build = {"context": build}
        context = build.get("context", ".")
        dockerfile = os.path.join(context, build.get("dockerfile", "Dockerfile"))
        if not os.path.isdir(context):
            errors.append(f"{name}: build context {context} does not exist")
        elif not os.path.isfile(dockerfile):
            errors.append(f"{name}: {dockerfile} does not exist")
        else:
            errors += [f"{build.get('dockerfile', 'Dockerfile')}: {e}" for e in copy_sources_missing(context, dockerfile)]

    depends = svc.get("depends_on") or {}
    if isinstance(depends, list):
        depends = {dep: {"condition": "service_started"} for dep in depends}
    for dep, spec in depends.items():
        target = services.get(dep, {})
        condition = (spec or {}).get("condition", "service_started")
        if condition == "service_healthy":
            test = (target.get("healthcheck") or {}).get("test")
            if not test or (target.get("healthcheck") or {}).get("disable"):
                errors.append(f"{name} waits for {dep} to be healthy, but {dep} has no healthcheck")
        if condition == "service_completed_successfully":
            restart = str(target.get("restart", "no"))
            if restart not in ("no", "False", "false") and not restart.startswith("on-failure"):
                errors.append(f"{name} waits for {dep} to complete, but {dep} has restart: {restart}")

for error in dict.fromkeys(errors):  # once each, in order
    print(f"validate-compose: {error}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"validate-compose: {len(services)} services: mounts, builds, healthchecks, one-shot jobs OK",
      file=sys.stderr)
PY

echo "validate-compose: $compose_file is valid" >&2
