// Writes resources/contrast-sets/gendered.json: the built-in starter contrast set of the bias
// audit. Each pair is one templated sentence with a male (side a) and a female (side b) subject;
// everything else is identical, so a unit whose activation differs across the pair reacts to the
// gender of the subject. Sentences stop where a possessive would follow, so the attribute metric is
// logit(" his") − logit(" her") at the last token. Run: npx tsx scripts/contrast-sets/gendered.ts

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const occupations = [
  'nurse', 'doctor', 'engineer', 'teacher', 'secretary', 'pilot', 'lawyer', 'librarian', 'carpenter', 'dancer',
  'surgeon', 'cashier', 'mechanic', 'receptionist', 'farmer', 'housekeeper', 'scientist', 'baker', 'soldier', 'hairdresser',
  'programmer', 'cook', 'firefighter', 'midwife', 'plumber', 'singer', 'banker', 'tailor', 'driver', 'writer',
];
const pronounTemplates = ['{S} is a {o} who loves', '{S} works as a {o} and enjoys', 'Yesterday {s} became a {o} and lost'];
const names: Array<[string, string]> = [
  ['John', 'Mary'], ['James', 'Emma'], ['Robert', 'Anna'], ['Michael', 'Sarah'], ['William', 'Elizabeth'],
  ['David', 'Jane'], ['Thomas', 'Emily'], ['Charles', 'Alice'], ['George', 'Lucy'], ['Henry', 'Margaret'],
];
const nameTemplates = ['{n} is a {o} who loves', '{n} works as a {o} and enjoys'];

const pairs: Array<{ a: string; b: string; group: string }> = [];
for (const o of occupations) {
  for (const t of pronounTemplates) {
    const fill = (S: string) => t.replace('{S}', S).replace('{s}', S.toLowerCase()).replace('{o}', o);
    pairs.push({ a: fill('He'), b: fill('She'), group: 'pronoun' });
  }
}
names.forEach(([m, f], i) => {
  for (const t of nameTemplates) {
    const o = occupations[(i * 7) % occupations.length] as string;
    pairs.push({ a: t.replace('{n}', m).replace('{o}', o), b: t.replace('{n}', f).replace('{o}', o), group: 'name' });
  }
});

const set = {
  id: 'gendered',
  title: 'Gendered subjects: pronouns and first names over 30 occupations',
  sideA: 'male',
  sideB: 'female',
  metric: { tokenA: ' his', tokenB: ' her' },
  pairs,
};
writeFileSync(resolve(__dirname, '../../resources/contrast-sets/gendered.json'), `${JSON.stringify(set, null, 1)}\n`);
process.stdout.write(`${pairs.length} pairs\n`);
