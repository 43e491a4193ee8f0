// Helpers for the Ledger tests: start tests/ledgersim (the baking-app
// simulator speaking the speculos APDU protocol), flip its fault switches
// over its control channel, and decode what the device returns.
//
// The binary is $LEDGERSIM, by default the AddressSanitizer build next to
// $TZSIGNER's; a simulator must exit 0 on SIGTERM with a clean sanitizer
// report.

import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import assert from 'node:assert/strict';
import { REPO, ENV, assertNoSanitizerReport } from './signer.mjs';

export const LEDGERSIM = process.env.LEDGERSIM
	? path.resolve(process.env.LEDGERSIM)
	: path.join(REPO, 'build', 'asan', 'ledgersim');

// speculos's default mnemonic and the keys the real baking app 2.5.0
// derives from it at 44'/1729'/0'/0' (design §2.4).
export const SPECULOS_MNEMONIC =
	'glory promote mansion idle axis finger extra february uncover one trip resource lawn turtle enact monster seven myth punch hobby comfort wild raise skin';
export const SPECULOS_KEYS = {
	ed25519: { pkh: 'tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA', pk: 'edpktsKqhvR7kXbRWD7yDgLSD7PZUXvjLqf9SFscXhL52pUStF5nQp' },
	secp256k1: { pk: 'sppk7ZntgM6x2Z3MyxARtAJXLF6d74nLApU5Awt9nsFjJZFqaRFddqG' },
	p256: { pk: 'p2pk64rVUd4FgCJM25QdSSGAatNsrotuYKczscXukykvHPRwYr6WD4a' },
};

const running = new Set();
process.on('exit', () => {
	for (const c of running) {
		try {
			c.kill('SIGKILL');
		} catch {
			/* gone */
		}
	}
});

// Starts the simulator on free ports; resolves
//   {apduPort, controlPort, proxy: '127.0.0.1:PORT', control(cmd), stop(), stderr()}
export function startLedgerSim(extra = [], { timeoutMs = 15_000 } = {}) {
	const child = spawn(LEDGERSIM, ['--port', '0', '--control-port', '0', ...extra], {
		env: ENV,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	running.add(child);
	let stdout = '';
	let stderr = '';
	const exited = new Promise((resolve) =>
		child.on('exit', (code, signal) => {
			running.delete(child);
			resolve({ code, signal });
		}),
	);
	const closed = new Promise((resolve) => child.on('close', resolve));
	child.stderr.setEncoding('utf8');
	child.stderr.on('data', (d) => (stderr += d));
	child.stdout.setEncoding('utf8');
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`ledgersim did not print its ports within ${timeoutMs} ms\n${stderr}`));
		}, timeoutMs);
		exited.then(({ code, signal }) => {
			clearTimeout(timer);
			reject(new Error(`ledgersim exited (${code}, ${signal}) before listening\n${stderr}`));
		});
		child.stdout.on('data', (d) => {
			stdout += d;
			const m = /ledgersim apdu_port=(\d+) control_port=(\d+)/.exec(stdout);
			if (!m) return;
			clearTimeout(timer);
			const apduPort = Number(m[1]);
			const controlPort = Number(m[2]);
			resolve({
				apduPort,
				controlPort,
				proxy: `127.0.0.1:${apduPort}`,
				pid: child.pid,
				stderr: () => stderr,
				control: (cmd) => control(controlPort, cmd),
				stop: async () => {
					if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
					const res = await exited;
					await closed;
					assertNoSanitizerReport(stderr, 'ledgersim');
					assert.equal(res.code, 0, `ledgersim exited ${res.code} (${res.signal})\n${stderr}`);
				},
			});
		});
	});
}

// One control command; resolves the reply line, asserting it starts "ok".
export function control(port, cmd) {
	return new Promise((resolve, reject) => {
		const s = net.connect(port, '127.0.0.1');
		let buf = '';
		s.setEncoding('utf8');
		s.on('error', reject);
		s.on('connect', () => s.write(`${cmd}\n`));
		s.on('data', (d) => {
			buf += d;
			const nl = buf.indexOf('\n');
			if (nl < 0) return;
			s.destroy();
			const line = buf.slice(0, nl);
			if (!line.startsWith('ok')) reject(new Error(`ledgersim control '${cmd}': ${line}`));
			else resolve(line);
		});
	});
}

// "ok k=v k=v" → {k: v}
export function parseKv(line) {
	const out = {};
	for (const f of line.split(' ').slice(1)) {
		const i = f.indexOf('=');
		if (i > 0) out[f.slice(0, i)] = f.slice(i + 1);
	}
	return out;
}

// A device's DER ECDSA signature (bit 0 of the first byte = parity of R.y)
// as Tezos's r ‖ s with low-S, written independently of tzsigner's parser.
const ORDERS = {
	secp256k1: 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n,
	p256: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
};
export function derToCompact(der, curve) {
	const b = Buffer.from(der);
	assert.equal(b[0] & 0xfe, 0x30, `not a DER sequence: ${b.toString('hex')}`);
	assert.equal(b[1], b.length - 2, 'DER length');
	let pos = 2;
	const ints = [];
	for (let i = 0; i < 2; i++) {
		assert.equal(b[pos], 0x02, 'DER integer tag');
		const n = b[pos + 1];
		ints.push(BigInt('0x' + b.subarray(pos + 2, pos + 2 + n).toString('hex')));
		pos += 2 + n;
	}
	assert.equal(pos, b.length, 'bytes after the DER sequence');
	let [r, s] = ints;
	const n = ORDERS[curve];
	if (s > n / 2n) s = n - s;
	const hex = (v) => v.toString(16).padStart(64, '0');
	return Buffer.from(hex(r) + hex(s), 'hex');
}

// The animal name octez gives the device seeded with speculos's mnemonic
// (its ed25519 key at 44'/1729' is tz1MJYG7DKz4WsPvbjn619nVZcMmejd62w7r).
export const SPECULOS_DEVICE = 'kooky-chameleon-pointless-caracal';
export const CHAIN_MAIN = 'NetXdQprcVkpaWU';
export const CHAIN_MAIN_BYTES = Buffer.from('7a06a770', 'hex');
