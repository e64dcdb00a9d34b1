// Validates an OpenAPI document against the OpenAPI 3 schema and resolves every $ref.
// Usage: node validate.js FILE   (exit 0: valid; 1: invalid, with the reasons)
const SwaggerParser = require("@apidevtools/swagger-parser");
const file = process.argv[2];
SwaggerParser.validate(file)
  .then((api) => {
    console.log(`valid OpenAPI ${api.openapi}: ${Object.keys(api.paths).length} paths`);
  })
  .catch((err) => {
    console.error(`invalid: ${err.message}`);
    process.exit(1);
  });
