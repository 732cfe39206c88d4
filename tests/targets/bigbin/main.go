// Command bigbin is the large Go binary of goscope's attach-latency benchmark
// (bench/perf.py): it links a broad slice of the standard library and, by
// looking methods up by a name known only at run time, makes the linker keep
// every exported method of every type it can reach, as big real-world services
// end up doing. It then runs a small allocation loop until SIGINT or SIGTERM.
//
// stdout: "<pid> ready".
package main

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/des"
	"crypto/rc4"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/pbkdf2"
	"crypto/sha3"
	"crypto/mlkem"
	"net/http/pprof"
	"hash"
	runtimepprof "runtime/pprof"
	"runtime/trace"
	"runtime/metrics"
	"log/slog"
	"log/syslog"
	"net/netip"
	"net/http/httptrace"
	"net/http/cgi"
	"net/http/fcgi"
	"text/template/parse"
	"html"
	"go/build/constraint"
	"go/doc/comment"
	"debug/buildinfo"
	"hash/maphash"
	"hash/adler32"
	"testing/fstest"
	"testing/iotest"
	"testing/quick"
	"os/user"
	"regexp/syntax"
	"encoding/binary"
	"image/color"
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"compress/gzip"
	"compress/lzw"
	"compress/zlib"
	"container/heap"
	"container/list"
	"container/ring"
	"crypto/aes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"debug/dwarf"
	"debug/elf"
	"debug/gosym"
	"debug/macho"
	"debug/pe"
	"debug/plan9obj"
	"encoding/ascii85"
	"encoding/asn1"
	"encoding/base32"
	"encoding/base64"
	"encoding/csv"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"expvar"
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/constant"
	"go/doc"
	"go/format"
	"go/importer"
	"go/parser"
	"go/printer"
	"go/scanner"
	"go/token"
	"go/types"
	"hash/crc32"
	"hash/crc64"
	"hash/fnv"
	"html/template"
	"image"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"index/suffixarray"
	"log"
	"math/big"
	"math/cmplx"
	"math/rand"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/mail"
	"net/rpc"
	"net/rpc/jsonrpc"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	textscanner "text/scanner"
	"text/tabwriter"
	texttemplate "text/template"
	"time"
	"unicode/utf16"
)

// keep holds one value of many types; methodsOf reaches every method of each
// through reflection, so the linker keeps them all.
var keep = []any{
	&tar.Reader{}, &tar.Writer{}, &zip.Reader{}, &zip.Writer{}, &bufio.Reader{}, &bytes.Buffer{},
	bzip2.NewReader, &flate.Writer{}, &gzip.Reader{}, &gzip.Writer{}, lzw.NewReader, zlib.NewReader,
	heap.Init, &list.List{}, &ring.Ring{}, aes.NewCipher, &ecdsa.PrivateKey{}, ed25519.GenerateKey,
	elliptic.P256, &rsa.PrivateKey{}, sha256.New, sha512.New, &tls.Config{}, &tls.Conn{},
	&x509.Certificate{}, &x509.CertPool{}, &sql.DB{}, &sql.Tx{}, &dwarf.Data{}, &elf.File{},
	&gosym.Table{}, &macho.File{}, &pe.File{}, &plan9obj.File{}, ascii85.NewEncoder, asn1.Marshal,
	base32.StdEncoding, base64.StdEncoding, &csv.Reader{}, &csv.Writer{}, &gob.Encoder{},
	&gob.Decoder{}, hex.Dump, &json.Decoder{}, &json.Encoder{}, pem.Decode, &xml.Decoder{},
	&xml.Encoder{}, &expvar.Map{}, &flag.FlagSet{}, &ast.File{}, &build.Context{}, constant.MakeInt64,
	&doc.Package{}, format.Source, importer.Default, parser.ParseFile, &printer.Config{},
	&scanner.Scanner{}, token.NewFileSet(), &types.Config{}, &types.Info{}, &types.Package{},
	crc32.NewIEEE, crc64.MakeTable, fnv.New64a, &template.Template{}, &image.RGBA{}, palette.Plan9,
	draw.Draw, &gif.GIF{}, jpeg.Decode, &png.Encoder{}, &suffixarray.Index{}, &log.Logger{},
	&big.Int{}, &big.Float{}, &big.Rat{}, cmplx.Sqrt, &rand.Rand{}, mime.TypeByExtension,
	&multipart.Reader{}, &multipart.Writer{}, quotedprintable.NewReader, &net.Dialer{},
	&net.Resolver{}, &http.Server{}, &http.Client{}, &http.Transport{}, &http.Request{},
	&cookiejar.Jar{}, &httptest.Server{}, &httputil.ReverseProxy{}, &mail.Address{}, &rpc.Server{},
	jsonrpc.NewClient, &smtp.Client{}, &textproto.Conn{}, &url.URL{}, &exec.Cmd{}, &regexp.Regexp{},
	sort.Strings, strconv.Quote, &strings.Builder{}, &testing.B{}, &testing.T{}, &texttemplate.Template{},
	&tabwriter.Writer{}, utf16.Encode, &scannerText,
	hmac.New, md5.New, sha1.New, des.NewCipher, rc4.NewCipher, ecdh.P256, hkdf.Key[hash.Hash], pbkdf2.Key[hash.Hash], sha3.New256, mlkem.GenerateKey768, pprof.Index, &runtimepprof.Profile{}, trace.Start, metrics.All, &slog.Logger{}, syslog.New, netip.ParseAddr, &httptrace.ClientTrace{}, &cgi.Handler{}, fcgi.Serve, &parse.Tree{}, html.EscapeString, constraint.Parse, &comment.Parser{}, buildinfo.ReadFile, &maphash.Hash{}, adler32.New, fstest.MapFS{}, iotest.OneByteReader, &quick.Config{}, user.Current, syntax.Parse, binary.Write, color.RGBAModel,
}

var scannerText textscanner.Scanner

// methodsOf calls nothing: the name it looks up is never a method name, but
// it is not a constant, so the linker must keep every exported method.
func methodsOf(name string) int {
	n := 0
	for _, v := range keep {
		if reflect.ValueOf(v).MethodByName(name).IsValid() {
			n++
		}
	}
	return n
}

func main() {
	if methodsOf(fmt.Sprint(os.Getpid(), "-no-such-method")) != 0 || shapes(1) <= 0 {
		os.Exit(1)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	fmt.Printf("%d ready\n", os.Getpid())
	var sink [][]byte
	tick := time.NewTicker(10 * time.Millisecond)
	for {
		select {
		case <-sig:
			return
		case <-tick.C:
			for i := 0; i < 256; i++ {
				sink = append(sink, make([]byte, 4096))
			}
			if len(sink) > 4096 {
				sink = sink[:0]
			}
			runtime.Gosched()
		}
	}
}
