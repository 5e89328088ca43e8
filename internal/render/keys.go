package render

import (
	"encoding/base64"
	"encoding/pem"
	"reflect"
	"sync"

	"github.com/Masterminds/sprig/v3"
)

// validationKeyDER is an RSA key (2048 bits, PKCS #1 DER) that deterministic mode hands out
// in place of generating one. Deterministic renders are read and thrown away (validation,
// the unused-key analysis, project documents), never applied, and a new RSA key costs tens
// to hundreds of milliseconds of CPU each: this key protects nothing.
const validationKeyDER = "MIIEowIBAAKCAQEAsht688e9C3DP/ARkPYquog2IepOYt7cNjkxzPoFUapmysLQV5brgq95KDmOoFTaRg6yMqti1sqDT803vGgWZYqMzCpPJ3LiHlzF5iFmQtysAkdP0Yq6OgFhr8MVT0axMBw9WKkFlYrNmzFuLw99rSkI76SgYASVAFxTxavZW/oB5Znp9U3IIFgUbDZwLsD80INZvRzClTgzJZrF9YlR3FBjtRVc+hPMwi8EYpdDZZwKgPECLXDjVQunsYDTY7NITDXqBR2byXRbgLyDeHEunnLWMLX1CAdhxeuH29eF0W5u0JJ2lSKd6e+8sMHCd6rX2SuXkUiPCU+9t5HG0hTlVbwIDAQABAoIBAAJ1R6KisJS+V1iClQGWbueUqTwL2nE6qQi8PGDx9wDLo0A2FBFKHXyxwjLlpDW6vZJkKMLY39UZzCMRAcpJpn7KgtNUC9asg06OY7+CgPFOOiFJHBfakePqlH7Lsmbz6k60ovtNUMFmeXY7kze+VyQ8usfygjZN1c8bvmM8CCJWDKwabIZQSp4+1vpp7xDtPuhG5I5Ffl3OB7HWFX7LM/bFJ9r0dYDjxs6g/PRLidL+2HlJAnYYN8Ky9hkD7VBRQll4SYydIkse1y7EnafP+Xrr8UyGf3Ee4CnvFtRxkjqzpNK8/vXqFfSInCiSCjNuKbhxSKnK7WsdgEmDAG1Xcq0CgYEA6TynvWa4zY06aMirVLLwVU0UpcLZEoBTw0ju8yauQxUTCnu0K+KTpS1B4v3c1JuLcrgg+2J0Gdt5MmR6J2Mia0goMhisjVCb4VO4HsekUHpnyC68iiSH8/6vkdja/nadj5aSJaa4tcxDGoWbLfal+jpzX/951RZP8zd7M2GsbLsCgYEAw31uYS8lXXpehBBSXZd4hc7cTDrhy1MzSu4h07a1+tT1k4IVSXF4raR2jb1S8PkgcCHqtSodpO1AGlyEruvgbkBCUA9Cjt11rHb9pHaUk9+H3Z5MHpIUjIoinLgnPjO19piRdOcex1dZOoOT+xIaIYkoeYvPXkyBOQJbI4Ai6N0CgYBK4rCwvTSEut2QGy33aeSEXtVMS31K1W0PfHFMHJVC8JdGfGVi2cKx/A/1g7DNiouBb+EXFYtVagRFy8D0uH2qmGZff1CXptQFys2JBGybclG0El1ytTv5eUKBv3DA1vDL03plIFyZ8lVxRIiIf3LXHsFAh1RkuF8/JgcmfivQVQKBgG3pJNkxN7Hh7igUQSrr0dBxqLyXUoINykXzs0MkdBaOC3Ce77b2PGJsmFdCvdJMT2ecOikXf8lNtv/bSqJKbkmuiVoX6lUGwHVyBVOldA3b3LjGmoeJnFIUDDfO9glr63+08fsnQs/TFZDnj5jW6ag3RHFqIPIk03apE3LXRUllAoGBAJrvDQRM/jD/L5UqwL3G52nPPi9fSHaoV5QgbTApCbVsxvlxKxZc9zOO4Lo2WC+hJydarsqBjtm/ErkhWWHKQtyFpT11mw6QFOvtNCxgY4r7+j1UomEqP5J1VrLf+ZzkDNViqQfn9pAz7j+wSKyyelrpcmQn180aR7KFWRfyxHck"

// validationKeyPEM is validationKeyDER as genPrivateKey "rsa" writes a key.
var validationKeyPEM = sync.OnceValue(func() string {
	der, err := base64.StdEncoding.DecodeString(validationKeyDER)
	if err != nil {
		panic("render: validationKeyDER: " + err.Error())
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der}))
})

// fixedKeyFuncs are the template functions that generate an RSA key, made to use
// validationKeyPEM instead: genPrivateKey "rsa", and genCA, genSelfSignedCert and
// genSignedCert through their ...WithKey variants (which take the key as one more, last
// argument). Other key types are generated as usual: they are cheap, or, for DSA, rare.
// Certificates still vary with their serial numbers: wrap the functions in a memo to repeat
// them.
func fixedKeyFuncs() map[string]any {
	f := sprig.TxtFuncMap()
	out := map[string]any{}
	if gen, ok := f["genPrivateKey"].(func(string) string); ok {
		out["genPrivateKey"] = func(typ string) string {
			if typ == "rsa" {
				return validationKeyPEM()
			}
			return gen(typ)
		}
	}
	for _, name := range []string{"genCA", "genSelfSignedCert", "genSignedCert"} {
		plain, withKey := reflect.ValueOf(f[name]), reflect.ValueOf(f[name+"WithKey"])
		if plain.Kind() != reflect.Func || withKey.Kind() != reflect.Func ||
			withKey.Type().NumIn() != plain.Type().NumIn()+1 || withKey.Type().In(withKey.Type().NumIn()-1).Kind() != reflect.String {
			continue // not the functions this knows: keep sprig's
		}
		out[name] = reflect.MakeFunc(plain.Type(), func(args []reflect.Value) []reflect.Value {
			return withKey.Call(append(args, reflect.ValueOf(validationKeyPEM())))
		}).Interface()
	}
	return out
}
