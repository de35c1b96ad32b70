#!/usr/bin/env bash
# The main job, end to end on this machine without any cloud: starts two real registries on
# loopback (an "upstream" standing in for Docker Hub, and the base-image registry), seeds the
# upstream from the OCI layout in test/fixtures, then runs `basegate sync`, moves an upstream
# tag, syncs again, and shows `basegate status`. A dependent (a loopback webhook receiver that
# checks the HMAC signature) is told once per promotion. Everything it starts is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
# Builds when dist is missing or older than a source file, so an edited tree never demos stale code.
if [ ! -f dist/functions/cli.js ] || [ -n "$(find functions -name '*.ts' -newer dist/functions/cli.js -print -quit)" ]; then npm run build >/dev/null; fi
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
start_registry() { # name port
  mkdir -p "$work/$1"
  cat > "$work/$1/config.yml" <<YAML
version: 0.1
log: { level: error, accesslog: { disabled: true } }
storage: { filesystem: { rootdirectory: $work/$1/data }, delete: { enabled: true } }
http: { addr: "127.0.0.1:$2", secret: demo }
YAML
  docker-registry serve "$work/$1/config.yml" 2>"$work/$1/log" &
  pids+=($!)
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0; sleep 0.1; done
  echo "demo: registry $1 did not start" >&2; cat "$work/$1/log" >&2; exit 1
}

up=$(free_port); base=$(free_port); hook=$(free_port)
start_registry upstream "$up"; start_registry base "$base"
# The dependent: prints each delivery and whether its X-Basegate-Signature-V1 (over timestamp, delivery id and body) verifies.
DEMO_HOOK_SECRET=demo-secret node -e '
  const crypto = require("node:crypto");
  require("node:http").createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c)).on("end", () => {
      const body = Buffer.concat(chunks);
      const signed = Buffer.concat([Buffer.from(`${req.headers["x-basegate-timestamp"]}.${req.headers["x-basegate-delivery"]}.`), body]);
      const want = "sha256=" + crypto.createHmac("sha256", process.env.DEMO_HOOK_SECRET).update(signed).digest("hex");
      const e = JSON.parse(body);
      console.error(`   [dependent] rebuild ${e.image} -> ${e.target} (signature ${req.headers["x-basegate-signature-v1"] === want ? "valid" : "INVALID"})`);
      res.writeHead(204).end();
    });
  }).listen(Number(process.argv[1]), "127.0.0.1");
' "$hook" &
pids+=($!)
seed() { skopeo copy -q --all --dest-tls-verify=false "oci:test/fixtures/oci-layout/upstream/demo:$1" "docker://127.0.0.1:$up/library/demo:$2"; }
seed multi 1.0; seed multi-2 2.0

cat > "$work/basegate.yaml" <<YAML
target:
  registry: 127.0.0.1:$base
images:
  - source: 127.0.0.1:$up/library/demo
    tags: ["1.0", "2.0"]
    repository: base/demo
    platforms: [linux/amd64, linux/arm64]
    gates:
      maxSize: 50MB
    dependents:
      - webhook: { url: "http://127.0.0.1:$hook/rebuild", secret: demo-secret }
YAML
cli() { echo "\$ basegate $*" >&2; node dist/functions/cli.js "$@"; }
echo "== upstream 127.0.0.1:$up, base registry 127.0.0.1:$base, config $work/basegate.yaml" >&2
cli check --config "$work/basegate.yaml"
cli sync --config "$work/basegate.yaml"
echo "== upstream moves tag 1.0 to a new digest" >&2
seed multi-2 1.0
cli sync --config "$work/basegate.yaml"
echo "== nothing moved: a third sync promotes and sends nothing" >&2
cli sync --config "$work/basegate.yaml"
cli status --config "$work/basegate.yaml"
echo "== base registry tags:" >&2
skopeo list-tags --tls-verify=false "docker://127.0.0.1:$base/base/demo"
