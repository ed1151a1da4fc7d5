// Starts `bin/backlogai sandbox` on free loopback ports with a fresh
// embedded database, waits until it is ready, and stops it (its whole
// process group) on request.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** freePort asks the kernel for an unused loopback port. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * startSandbox runs the app with the emulated Jira and resolves to
 * {url, app, emu, logFile, stop()} once /sandbox answers.
 */
export async function startSandbox({ bin, dir, env = {}, timeoutMs = 90000 }) {
  const appPort = await freePort();
  let emuPort = await freePort();
  while (emuPort === appPort) emuPort = await freePort();
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const logFile = path.join(dir, 'sandbox.log');
  const log = fs.openSync(logFile, 'a');
  const childEnv = {
    ...process.env,
    PORT: String(appPort),
    DATABASE_URL: 'sqlite://' + path.join(dataDir, 'backlogai.db'),
    LOG_LEVEL: process.env.E2E_LOG_LEVEL || 'warn',
    OPENAI_API_KEY: '',
    SERPAPI_API_KEY: '',
    ...env,
  };
  delete childEnv.BASE_URL;
  delete childEnv.ENCRYPTION_KEY;
  const child = spawn(bin, ['sandbox', '-emulator-addr', `127.0.0.1:${emuPort}`], {
    env: childEnv, stdio: ['ignore', 'pipe', log], detached: true,
  });
  let exited = null;
  const exitPromise = new Promise((resolve) => child.once('exit', (code, signal) => { exited = { code, signal }; resolve(exited); }));
  let out = '';
  let url = null;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    out += chunk;
    fs.appendFileSync(logFile, chunk);
    const m = out.match(/open (http:\/\/\S+\/sandbox)/);
    if (m) url = m[1];
  });

  async function stop() {
    if (exited) return exited;
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
    const timer = new Promise((r) => setTimeout(() => r('timeout'), 15000));
    if ((await Promise.race([exitPromise, timer])) === 'timeout') {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      await exitPromise;
    }
    fs.closeSync(log);
    return exited;
  }

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) {
      throw new Error(`sandbox exited (${JSON.stringify(exited)}) before it was ready; log: ${logFile}\n${tail(logFile)}`);
    }
    if (url) {
      try {
        const r = await fetch(url, { redirect: 'manual' });
        if (r.status === 200) break;
      } catch { /* not yet */ }
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`sandbox not ready after ${timeoutMs} ms; log: ${logFile}\n${tail(logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, app: new URL(url).origin, emu: `http://127.0.0.1:${emuPort}`, pid: child.pid, logFile, stop };
}

/** tail returns the last lines of a file. */
export function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
