package handlers

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPIDocument describes every /api/v1 endpoint (OpenAPI 3.1). A test
// checks that it lists every API route of the table.
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPI: GET /api/v1/openapi.json. It needs no token: it describes the
// API and holds no data.
func (h *Handler) openAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json; charset=utf-8", openAPIDocument)
}
