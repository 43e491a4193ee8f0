// deb_requests.mjs - run by scripts/test-fresh (stage deb) on this machine:
// the baker's key to import into the packaged box, a client key for its
// authorized_keys, and the signed requests the box is then sent (the
// package's serve.env has -A: only authenticated requests are signed).
// Prints `NAME=value` lines for tests/fresh/deb_inside.sh to source.
// The authentication is Taquito's (an independent signer), over octez's
// 0x04 ‖ 0x01 ‖ pkh ‖ data (tests/node/lib/watermark.mjs authSignature).
import { randomClient, authSignature, chainIdBytes, MAINNET } from './watermark.mjs';
import { consensusOp } from './signer.mjs';
import { verifySignature } from '@taquito/utils';
import { readFileSync } from 'node:fs';

// --verify ENV DIR: the signatures DIR/att100.json and pre101.json, made by
// the box for ENV's requests, verified against the baker's public key.
if (process.argv[2] === '--verify') {
	const env = Object.fromEntries(readFileSync(process.argv[3], 'utf8').trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
	for (const [file, name] of [['att100.json', 'ATT100'], ['pre101.json', 'PRE101']]) {
		const { signature } = JSON.parse(readFileSync(`${process.argv[4]}/${file}`, 'utf8'));
		if (!verifySignature(env[`${name}_DATA`], env.BAKER_PK, signature)) throw new Error(`${file}: ${signature} does not verify`);
	}
	console.log(`attestation 100 and preattestation 101 signed by ${env.BAKER_PKH}`);
	process.exit(0);
}

const baker = randomClient('tz1');
const client = randomClient('tz1');
const pkh = await baker.signer.publicKeyHash();
const out = { BAKER_SK: baker.secret, BAKER_PKH: pkh, BAKER_PK: await baker.signer.publicKey(), CLIENT_PK: await client.signer.publicKey() };
// An attestation at 100 (signed), a preattestation at 101 (signed after a
// reload), an attestation at 99 (below the watermark: 409).
const reqs = { ATT100: [0x13, 100], PRE101: [0x12, 101], ATT99: [0x13, 99] };
for (const [name, [magic, level]] of Object.entries(reqs)) {
	const data = consensusOp({ magic, level, round: 0, chainId: chainIdBytes(MAINNET) });
	out[`${name}_DATA`] = data.toString('hex');
	out[`${name}_AUTH`] = encodeURIComponent(await authSignature(client.signer, pkh, data));
}
for (const [k, v] of Object.entries(out)) console.log(`${k}=${v}`);
