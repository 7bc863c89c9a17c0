import { pluginNames } from './names.js';

describe('pluginNames', () => {
  it('derives the id, package, and class, camel and constant prefixes', () => {
    expect(pluginNames('my-quant')).toEqual({
      id: 'my-quant',
      packageName: 'mc-plugin-my-quant',
      pascal: 'MyQuant',
      camel: 'myQuant',
      constant: 'MY_QUANT',
    });
    expect(pluginNames('int3')).toMatchObject({ packageName: 'mc-plugin-int3', pascal: 'Int3' });
    expect(pluginNames('a-2-b').pascal).toBe('A2B');
  });

  it.each([
    ['My_Quant', /lower-case letters and digits/, 'e.g. my-quant'],
    ['my--quant', /single '-'/, 'e.g. my-quant'],
    ['4bit', /starting with a letter/, 'e.g. bit'],
    ['my-quant-', /single '-'/, 'e.g. my-quant'],
    ['@scope/x', /lower-case/, 'e.g. scope-x'],
    ['mc-plugin-foo', /give the id only/, 'e.g. mc generate compressor foo'],
    ['a'.repeat(205), /longer than 204 characters/, 'choose a shorter name'],
  ])('refuses a bad name (%#) with one line, a hint and exit code 2', (name, message, hint) => {
    let error: unknown;
    try {
      pluginNames(name);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'E_BAD_PARAM', exitCode: 2, hint });
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toMatch(/\n/);
  });
});
