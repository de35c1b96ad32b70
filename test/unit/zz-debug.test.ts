import { scanForSecrets, randomLookingTokens } from '../helpers/infra-secrets';
it('debug', () => {
  console.log(scanForSecrets('.'));
  console.log(randomLookingTokens("x: 'dGhpcyBpcyBhIHNlY3JldCB0b2tlbiB3aXRoIGVub3VnaCBlbnRyb3B5MTIzNDU2'"), randomLookingTokens("ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"), randomLookingTokens("dckr_pat_AbCdEf0123456789GhIjKlMnOpQrStU"));
});
