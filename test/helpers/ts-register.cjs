// Lets a child `node` process run the project's TypeScript (node -r ./ts-register.cjs file.ts),
// transpiled the way jest transpiles it (ts-jest, isolated modules: no type-check), for tests
// and benchmarks that need a second process. The output is cached on disk by content hash:
// the fault rounds start a basegate child process many times, and loading the TypeScript
// compiler on every start would cost seconds each time.
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const cacheDir = path.join(os.tmpdir(), 'basegate-ts-cache');
fs.mkdirSync(cacheDir, { recursive: true });
let ts;

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const key = crypto.createHash('sha256').update(filename).update('\0').update(source).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  let output;
  try {
    output = fs.readFileSync(cached, 'utf8');
  } catch {
    ts ??= require('typescript');
    output = ts.transpileModule(source, {
      fileName: filename,
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true },
    }).outputText;
    const tmp = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, output);
    fs.renameSync(tmp, cached);
  }
  module._compile(output, filename);
};
