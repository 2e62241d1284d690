package authz

// The API Gateway authorizer events and answers, as JSON shapes. They are
// declared here, field for field as API Gateway sends and reads them (the
// same JSON names as github.com/aws/aws-lambda-go/events), so that the
// authorizer domain imports no AWS package (infra/layout_test.go). The
// tests marshal aws-lambda-go's own event types into these, which keeps
// the two in step.

// HTTPAPIRequest is an HTTP API authorizer event, payload format 2.0.
type HTTPAPIRequest struct {
	Version        string            `json:"version"`
	Type           string            `json:"type"`
	RouteArn       string            `json:"routeArn"`
	RawPath        string            `json:"rawPath"`
	RawQueryString string            `json:"rawQueryString"`
	Cookies        []string          `json:"cookies"`
	Headers        map[string]string `json:"headers"`
	RequestContext struct {
		HTTP struct {
			Method   string `json:"method"`
			Path     string `json:"path"`
			SourceIP string `json:"sourceIp"`
		} `json:"http"`
	} `json:"requestContext"`
}

// HTTPAPISimpleResponse is an HTTP API authorizer's simple response.
type HTTPAPISimpleResponse struct {
	IsAuthorized bool           `json:"isAuthorized"`
	Context      map[string]any `json:"context,omitempty"`
}

// RESTTokenRequest is a REST API TOKEN authorizer event.
type RESTTokenRequest struct {
	Type               string `json:"type"`
	AuthorizationToken string `json:"authorizationToken"`
	MethodArn          string `json:"methodArn"`
}

// RESTRequestRequest is a REST API REQUEST authorizer event.
type RESTRequestRequest struct {
	Type                            string              `json:"type"`
	MethodArn                       string              `json:"methodArn"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	RequestContext                  struct {
		Identity struct {
			SourceIP string `json:"sourceIp"`
		} `json:"identity"`
	} `json:"requestContext"`
}

// RESTResponse is a REST API authorizer's answer: an IAM policy and a
// context.
type RESTResponse struct {
	PrincipalID    string         `json:"principalId"`
	PolicyDocument RESTPolicy     `json:"policyDocument"`
	Context        map[string]any `json:"context,omitempty"`
}

// RESTPolicy is the IAM policy document of a REST answer.
type RESTPolicy struct {
	Version   string
	Statement []IAMStatement
}

// IAMStatement is one statement of a RESTPolicy (API Gateway reads these
// keys capitalised, as aws-lambda-go writes them).
type IAMStatement struct {
	Action   []string
	Effect   string
	Resource []string
}
