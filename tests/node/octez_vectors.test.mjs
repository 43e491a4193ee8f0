// octez's own bytes (tests/vectors/octez-consensus.json): octez's U025
// encoding regression outputs for tags 20, 21, 23, 30, 31, 40, 41 and a block
// header, prefixed with magic byte and chain id as octez's client prefixes
// them, plus labelled requests from Signatory's and Taquito's tests and a few
// derived ones (the largest Ushuaia DAL bitset, tag/key mismatches). Each is
// sent as octez v25's client sends it, to a key of its own (so vectors at
// the same level do not meet in one watermark); each is signed or refused as
// the vector says, a signature verifies with Taquito, and the (level, round)
// tzsigner records in its audit line is the vector's.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { verifySignature } from '@taquito/utils';
import { makeBaseDir, teardown, genKey, startSigner, REPO } from './lib/signer.mjs';
import { waitAuditMatch, chainIdB58 } from './lib/watermark.mjs';
import { OctezHttpSigner } from './lib/octez_client.mjs';

const { vectors } = JSON.parse(readFileSync(path.join(REPO, 'tests', 'vectors', 'octez-consensus.json'), 'utf8'));
let signer;
const keyOf = new Map(); // vector name -> key

before(async () => {
	const dir = await makeBaseDir('octez-vectors');
	for (const [i, v] of vectors.entries()) keyOf.set(v.name, await genKey(dir, `vec${i}`, v.key_type.startsWith('tz4') ? 'tz4' : 'tz1'));
	signer = await startSigner(dir);
});

after(() => teardown(signer));

test('the vectors file holds octez\'s own U025 outputs for every consensus tag and a block', () => {
	assert.equal(vectors.length, 28);
	const octez = vectors.filter((v) => v.octez_unsigned_hex);
	assert.deepEqual(octez.map((v) => String(v.tag)).sort(), ['20', '21', '23', '30', '31', '40', '41', 'null']);
	for (const v of octez) {
		// magic ‖ mainnet chain id ‖ octez's line, verbatim
		const magic = { block: '11', preattestation: '12', preattestations_aggregate: '12', attestation: '13', attestations_aggregate: '13' }[v.kind];
		assert.equal(v.hex, magic + '7a06a770' + v.octez_unsigned_hex, v.name);
		assert.match(v.octez_file, /^tezos\/tezos-mirror@[0-9a-f]{10}:tezt\/tests\/expected\/encoding\.ml\/U025-- protocol encoding regression test- /);
	}
});

for (const v of vectors) {
	const sign = v.expected.startsWith('sign');
	test(`${v.name}: ${sign ? 'signed' : 'refused'} (${v.expected.slice(0, 70)})`, async () => {
		const k = keyOf.get(v.name);
		const msg = Buffer.from(v.hex, 'hex');
		const client = new OctezHttpSigner({ port: signer.port, pkh: k.pkh, version: 'v25' });
		client.publicKey = k.publicKey; // imported earlier, as a baker's wallet has it
		const r = await client.sign(msg);
		if (!sign) {
			assert.ok(r.status === 400 || r.status === 403, `${v.name}: expected a refusal, got ${r.status} ${r.signature ?? JSON.stringify(r.error)}`);
			assert.equal(r.error?.[0]?.kind, 'temporary');
			assert.ok(r.error[0].msg.length > 10, 'the refusal says why');
			return;
		}
		assert.equal(r.status, 200, `${v.name}: ${JSON.stringify(r.error)}`);
		assert.ok(verifySignature(msg, k.publicKey, r.signature), `${v.name}: Taquito does not verify ${r.signature}`);
		const audit = await waitAuditMatch(signer, { event: 'signed', pkh: k.pkh });
		if (v.level !== null) {
			assert.equal(audit.kind, v.kind, `${v.name}: kind`);
			assert.equal(audit.level, String(v.level), `${v.name}: recorded level`);
			assert.equal(audit.round, String(v.round), `${v.name}: recorded round`);
			assert.equal(audit.chain, chainIdB58(Buffer.from(v.chain_id_hex, 'hex')), `${v.name}: recorded chain`);
		}
	});
}
