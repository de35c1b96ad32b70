import { bodyObject, code, objectEntries, parseBicep, property, stringLiterals, tokenize } from '../helpers/bicep-reader';

describe('bicep-reader', () => {
  it('keeps braces and quotes inside strings, interpolations and comments out of the structure', () => {
    const src = [
      "// a comment with { and ' in it",
      "var a = '${union({ x: '}' }, b)}-${'{'}'",
      '/* block { comment',
      "   with ' quote */",
      "var b = '''",
      "multi 'line' { string",
      "'''",
      "var c = 'it\\'s'",
    ].join('\n');
    const decls = parseBicep(src).declarations;
    expect(decls.map((d) => [d.kind, d.name, d.line])).toEqual([
      ['var', 'a', 2],
      ['var', 'b', 5],
      ['var', 'c', 8],
    ]);
    expect(decls[0].valueTokens.map((t) => [t.kind, t.value])).toEqual([['string', undefined]]); // interpolated: no literal value
    expect(stringLiterals(decls[1].valueTokens)).toEqual(["\nmulti 'line' { string\n"]);
    expect(stringLiterals(decls[2].valueTokens)).toEqual(["it's"]);
  });

  it('attaches the comment block and decorators above a declaration, and a blank line detaches them', () => {
    const src = [
      '// detached',
      '',
      '// why this parameter',
      '@secure()',
      "@description('a key')",
      'param key string',
      'param other string = \'x\' // trailing',
    ].join('\n');
    const [key, other] = parseBicep(src).declarations;
    expect(key).toMatchObject({ kind: 'param', name: 'key', type: 'string', comments: ['why this parameter'], decorators: ['@secure()', "@description('a key')"], valueTokens: [] });
    expect(other).toMatchObject({ name: 'other', comments: [], decorators: [] });
    expect(stringLiterals(other.valueTokens)).toEqual(['x']);
  });

  it('reads resource bodies through if and for, with entries, nested properties and trailing comments', () => {
    const src = [
      "resource r 'Microsoft.Foo/bars@2024-01-01' = if (enabled) {",
      "  name: 'one'",
      "  tags: { 'azd-service-name': 'basegate', other: 'x' }",
      '  properties: {',
      "    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'abc') // The Role",
      '    nested: [',
      "      'a'",
      '    ]',
      '  }',
      '}',
      "resource loop 'Microsoft.Foo/bars/bazs@2024-01-01' = [",
      '  for (item, i) in items: {',
      '    name: item',
      '  }',
      ']',
      "resource ex 'Microsoft.Foo/bars@2024-01-01' existing = { name: 'e' }",
    ].join('\n');
    const [r, loop, ex] = parseBicep(src).declarations;
    expect([r.kind, r.type, r.apiVersion, r.existing]).toEqual(['resource', 'Microsoft.Foo/bars', '2024-01-01', false]);
    const body = bodyObject(r)!;
    expect(objectEntries(body.object).map((e) => e.key)).toEqual(['name', 'tags', 'properties']);
    expect(objectEntries(property(body.object, ['tags'])!.valueTokens).map((e) => e.key)).toEqual(['azd-service-name', 'other']);
    const role = property(body.object, ['properties', 'roleDefinitionId'])!;
    expect(role.trailingComment).toBe('The Role');
    expect(stringLiterals(role.valueTokens)).toEqual(['Microsoft.Authorization/roleDefinitions', 'abc']);
    expect(property(body.object, ['properties', 'missing'])).toBeUndefined();

    const lb = bodyObject(loop)!;
    expect(lb.loop?.item).toBe('item');
    expect(code(lb.loop!.source).map((t) => t.text)).toEqual(['items']);
    expect(code(property(lb.object, ['name'])!.valueTokens).map((t) => t.text)).toEqual(['item']);
    expect(ex.existing).toBe(true);
  });

  it('refuses an unterminated string rather than guessing', () => {
    expect(() => tokenize("var a = 'oops\nvar b = 1", 'x.bicep')).toThrow('x.bicep:1: unterminated string');
  });
});
