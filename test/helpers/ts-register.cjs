// Lets a child `node` process run the project's TypeScript (node -r ./ts-register.cjs file.ts),
// transpiled the way jest transpiles it (ts-jest, isolated modules: no type-check), for tests
// that need a second process.
const fs = require('node:fs');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true },
  });
  module._compile(outputText, filename);
};
