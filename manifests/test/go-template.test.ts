import { describe, expect, it } from 'vitest';
import { renderTemplateString, renderTemplateTree, TemplateError } from '../src/go-template';

describe('Go template subset (missingkey=error)', () => {
  const params = { number: '42', head_short_sha: 'abcdef12', nested: { name: 'prod-1' } };

  it('substitutes {{.param}} with and without inner spaces, and nested fields', () => {
    expect(renderTemplateString('api-canary-pr-{{.number}}', params)).toBe('api-canary-pr-42');
    expect(renderTemplateString('pr-{{ .number }}-{{.head_short_sha}}', params)).toBe('pr-42-abcdef12');
    expect(renderTemplateString('{{.nested.name}}', params)).toBe('prod-1');
  });

  it('keeps number a string, as the pull request generator provides it', () => {
    expect(renderTemplateTree({ value: '{{.number}}' }, params)).toEqual({ value: '42' });
  });

  it('renders keys, arrays and nested objects, and leaves non-strings alone', () => {
    const tree = { 'pr-{{.number}}': ['{{.number}}', 3, true, null, { x: '{{.head_short_sha}}' }] };
    expect(renderTemplateTree(tree, params)).toEqual({ 'pr-42': ['42', 3, true, null, { x: 'abcdef12' }] });
  });

  it('fails on a missing key instead of rendering <no value>', () => {
    expect(() => renderTemplateString('{{.numbr}}', params)).toThrow(TemplateError);
    expect(() => renderTemplateString('{{.numbr}}', params)).toThrow(/no entry for key "numbr"/);
    expect(() => renderTemplateString('{{.nested.missing}}', params)).toThrow(/missing/);
  });

  it('refuses actions outside the documented subset', () => {
    for (const text of [
      '{{ .number | quote }}',
      '{{- .number }}',
      '{{ if .number }}x{{ end }}',
      '{{ printf "%s" .number }}',
      '{{.number',
    ]) {
      expect(() => renderTemplateString(text, params), text).toThrow(TemplateError);
    }
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's replacement syntax in a test's name
  it('runs sprig regexReplaceAll as Go does, for literal/\\d regexps with one group and $$ / ${1} replacements', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's replacement syntax, not a JS template
    expect(renderTemplateString('{{ regexReplaceAll "(\\\\d)" .number "<${1}>$$" }}', params)).toBe(
      '<4>$<2>$',
    );
    expect(renderTemplateString('{{ regexReplaceAll "\\\\d" .number ")" }}', params)).toBe('))');
    expect(renderTemplateString('{{ regexReplaceAll "4" .number "" }}', params)).toBe('2');
    for (const text of [
      '{{ regexReplaceAll "(\\\\d)" .number "$1" }}',
      '{{ regexReplaceAll "[0-9]" .number "x" }}',
      '{{ regexReplaceAll "(a)(b)" .number "x" }}',
      '{{ regexReplaceAll "\\\\d" .numbr "x" }}',
    ]) {
      expect(() => renderTemplateString(text, params), text).toThrow(TemplateError);
    }
  });

  it('refuses a parameter that is not a string', () => {
    expect(() => renderTemplateString('{{.nested}}', params)).toThrow(/not a string/);
  });
});
