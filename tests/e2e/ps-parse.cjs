// SPDX-License-Identifier: Apache-2.0
// ps-parse.cjs DIR FILE...: parse each PowerShell script with the tree-sitter PowerShell
// grammar (npm web-tree-sitter and tree-sitter-powershell, installed under DIR by
// tools/install-deps); print each syntax error (file:line:column) and exit 1 if any.
'use strict';
const { createRequire } = require('node:module');
const { readFileSync } = require('node:fs');
const path = require('node:path');

(async () => {
	const from = createRequire(path.join(path.resolve(process.argv[2]), 'node_modules', 'x.js'));
	const { Parser, Language } = from('web-tree-sitter');
	await Parser.init();
	const lang = await Language.load(from.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm'));
	const parser = new Parser();
	parser.setLanguage(lang);
	let bad = 0;
	for (const f of process.argv.slice(3)) {
		const tree = parser.parse(readFileSync(f, 'utf8'));
		const errs = [];
		const walk = (n) => {
			if (n.isError || n.isMissing)
				errs.push(n);
			else
				for (const c of n.children) walk(c);
		};
		if (tree.rootNode.hasError)
			walk(tree.rootNode);
		for (const e of errs.slice(0, 5))
			console.log(`${f}:${e.startPosition.row + 1}:${e.startPosition.column + 1}: ` +
				    `${e.isMissing ? 'missing ' + e.type : 'syntax error'}: ${e.text.slice(0, 60)}`);
		if (errs.length)
			bad++;
	}
	process.exit(bad ? 1 : 0);
})().catch((e) => {
	console.log(String(e));
	process.exit(2);
});
