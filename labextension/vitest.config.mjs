// Unit tests of the pure modules only (no Lab, no DOM): run by `jlpm test` and from pytest.
export default {
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node'
  }
};
