// Swagger UI for /openapi.json, started from a file (the CSP allows no inline scripts).
// "Authorize" takes a personal access token (from /me/tokens); it is kept in this browser's
// storage until "Logout" in the dialog, so a reload does not ask again.
window.addEventListener("DOMContentLoaded", function () {
  window.SwaggerUIBundle({
    url: document.getElementById("swagger-ui").dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
  });
});
