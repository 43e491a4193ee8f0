// node lib/socket_sign_cli.mjs PORT PKH PK COUNT: signs COUNT fresh
// attestations (rising levels, random chain) through octez's socket protocol
// at 127.0.0.1:PORT as octez's client does (Authorized_keys, then Sign, on one
// connection; lib/octez_socket.mjs) and verifies each with Taquito. For the
// shell integration tests (a tunnel's forwarded socket port).
import { verifySignature } from '@taquito/utils';
import { octezOperation, signRequest, signatureText, OK } from './octez_socket.mjs';
import { op } from './watermark.mjs';
import { randomChainId } from './signer.mjs';

const [port, pkh, pk, count = '3'] = process.argv.slice(2);
const chainId = randomChainId();
for (let i = 0; i < Number(count); i++) {
	const bytes = op({ kind: 'attestation', level: 100 + i, round: 0, chainId });
	const r = await octezOperation({ port: Number(port) }, pkh, bytes, () => signRequest(pkh, bytes), OK.signature);
	if (!r.ok) {
		console.error(`socket sign ${i}: ${JSON.stringify(r.error)}`);
		process.exit(1);
	}
	if (!verifySignature(bytes, pk, signatureText(r.ok, pkh))) {
		console.error(`socket sign ${i}: the signature does not verify`);
		process.exit(1);
	}
}
console.log(`verified ${count} socket-protocol signatures with @taquito/utils`);
