// The API reference at /api/docs: Swagger UI (vendored in swagger-ui/) reading the document
// the gateway serves. No online validator (it would send the document elsewhere); a token
// given with "Authorize" stays in this tab only.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#reference",
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false,
    tryItOutEnabled: false,
    displayRequestDuration: true,
  });
});
