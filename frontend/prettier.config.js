// Prettier formats everything in frontend/ (`npm run format`; `make test` checks it).
// 100 columns, like ruff's line length on the Python side.
export default {
  printWidth: 100,
};
