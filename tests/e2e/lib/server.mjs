// Starts the real dev server (web/server.mjs) on a free port; resolves { url, proc, log }.
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { ROOT } from './paths.mjs';

export function startServer(root, args = [], spawnOptions = {}, script = path.join(ROOT, 'web/server.mjs')) {
  const proc = spawn(process.execPath, [script, '--port', '0', '--root', root, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOptions });
  const state = { proc, log: '', url: '' };
  proc.stdout.on('data', (d) => (state.log += d));
  proc.stderr.on('data', (d) => (state.log += d));
  return new Promise((resolve, reject) => {
    const iv = setInterval(() => {
      const m = /Glassbox IDE: (http:\/\/\S+)/.exec(state.log);
      if (m) {
        clearInterval(iv);
        state.url = m[1];
        resolve(state);
      }
    }, 20);
    proc.on('exit', (c) => {
      clearInterval(iv);
      reject(new Error(`server exited ${c}: ${state.log}`));
    });
  });
}

/** One HTTP request; resolves { status, headers, body } or { error } when the connection breaks. */
export function request(base, urlPath, headers = {}, method = 'GET') {
  return new Promise((resolve) => {
    const req = http.request(new URL(urlPath, base), { method, headers, agent: false }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', (e) => resolve({ status: res.statusCode, headers: res.headers, error: e }));
      res.on('aborted', () => resolve({ status: res.statusCode, headers: res.headers, error: new Error('aborted') }));
    });
    req.on('error', (e) => resolve({ error: e }));
    req.end();
  });
}
