// npm run docs:protocol: rewrite docs/protocol.md from the contract and scripts/protocol-doc/guide.md.
import { writeFileSync } from 'node:fs';
import { PROTOCOL_DOC, protocolDoc } from './generate';

writeFileSync(PROTOCOL_DOC, protocolDoc());
process.stdout.write(`wrote ${PROTOCOL_DOC}\n`);
