import { npmReason } from './npm.js';

describe("npmReason: npm's failure on one line", () => {
  it.each([
    [
      "npm error code E404\nnpm error 404 Not Found - GET http://127.0.0.1:4873/mc-plugin-nope - no such package available\nnpm error 404\nnpm error 404  'mc-plugin-nope@latest' is not in this registry.\nnpm error A complete log of this run can be found in: /root/.npm/_logs/x.log\n",
      'E404: 404 Not Found - GET http://127.0.0.1:4873/mc-plugin-nope - no such package available',
    ],
    [
      'npm error code ECONNREFUSED\nnpm error syscall connect\nnpm error errno ECONNREFUSED\nnpm error FetchError: request to http://127.0.0.1:9/x failed, reason: connect ECONNREFUSED 127.0.0.1:9\n',
      'FetchError: request to http://127.0.0.1:9/x failed, reason: connect ECONNREFUSED 127.0.0.1:9', // the code is in it already
    ],
    [
      'npm ERR! code ETARGET\nnpm ERR! notarget No matching version found for mc-plugin-x@^9.0.0.\n',
      'ETARGET: notarget No matching version found for mc-plugin-x@^9.0.0.',
    ],
    ['something else entirely\n', 'something else entirely'],
    ['', 'npm exited with code 1'],
  ])('%#', (stderr, reason) => {
    expect(npmReason({ code: 1, stdout: '', stderr })).toBe(reason);
  });
});
